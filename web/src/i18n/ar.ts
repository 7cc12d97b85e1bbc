import { en, type MessageKey } from './en.js';

export const ar: Record<MessageKey, string> = { ...en };
