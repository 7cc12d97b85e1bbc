import { en, type MessageKey } from './en.js';

export const es: Record<MessageKey, string> = { ...en };
