import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, request, setCsrfToken, setUnauthorizedHandler } from '../api/client.js';
import type { Meta, User } from '../api/types.js';

interface Session {
  user: User;
  csrfToken: string;
}

interface AuthState {
  user: User | null;
  meta: Meta | null;
  ready: boolean;
  login: (email: string, password: string, totp?: string) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [meta, setMeta] = useState<Meta | null>(null);
  const [ready, setReady] = useState(false);

  const adopt = useCallback(async (s: Session) => {
    setCsrfToken(s.csrfToken);
    const m = await api.get<Meta>('/api/meta');
    // One entry per code, whatever the server sends (a code listed twice would confuse every country picker).
    const seen = new Set<string>();
    setMeta({ ...m, countries: m.countries.filter((c) => !seen.has(c.code) && (seen.add(c.code), true)) });
    setUser(s.user);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setUser(null);
    });
    request<Session>('GET', '/api/auth/me', undefined, { quiet401: true })
      .then(adopt)
      .catch(() => setUser(null))
      .finally(() => setReady(true));
    return () => setUnauthorizedHandler(null);
  }, [adopt]);

  const login = useCallback(
    async (email: string, password: string, totp?: string) => {
      const s = await request<Session>('POST', '/api/auth/login', { email, password, ...(totp ? { totp } : {}) }, { quiet401: true });
      await adopt(s);
    },
    [adopt],
  );

  const logout = useCallback(async () => {
    try {
      await api.post('/api/auth/logout');
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    setCsrfToken(null);
    setUser(null);
  }, []);

  return <AuthContext.Provider value={{ user, meta, ready, login, logout }}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

/** The signed-in user and the server's vocabulary; only for pages rendered behind the sign-in. */
export function useSession(): { user: User; meta: Meta } {
  const { user, meta } = useAuth();
  if (!user || !meta) throw new Error('useSession without a session');
  return { user, meta };
}

export function canWrite(user: User): boolean {
  return user.role === 'admin' || user.role === 'analyst' || user.role === 'responder';
}
