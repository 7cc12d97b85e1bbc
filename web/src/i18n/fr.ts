import { en, type MessageKey } from './en.js';

export const fr: Record<MessageKey, string> = { ...en };
