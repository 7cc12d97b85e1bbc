/**
 * Set-up shared by the wings' route tests: the app composed as src/app.ts composes it, with the platform routes and
 * only the wings under test, and the usual people (the bootstrap administrator, an analyst and a viewer) with
 * clients signed in as them. Usage:
 *
 *   let app: App;
 *   const { analyst, viewer, anon } = testClients(() => app);
 *   beforeAll(async () => { db = await backend.open(); app = routeTestApp(db, measureRoutes()); await signInTestUsers(db, { analyst, viewer }); });
 */
import { authMiddleware, errorResponse, inputGuard, limitBody, newRouter, type App } from './http.js';
import { platformRoutes } from './routes.js';
import { silentLogger } from './log.js';
import { bootstrapAdmin, createUser, systemActor } from './auth.js';
import type { Actor } from './audit.js';
import type { Db } from './db.js';
import { TestClient } from './testing.js';

/** The password of every test user. */
export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_USERS = {
  admin: 'admin@example.org',
  analyst: 'analyst@example.org',
  viewer: 'viewer@example.org',
} as const;

/** The same composition as src/app.ts, with only the platform routes and `wings` under /api. */
export function routeTestApp(db: Db, ...wings: App[]): App {
  const app = newRouter();
  app.onError((err, c) => errorResponse(err, c, silentLogger));
  app.use('*', async (c, next) => {
    c.set('db', db);
    c.set('log', silentLogger);
    await next();
  });
  app.use('/api/*', limitBody());
  app.use('/api/*', inputGuard());
  app.use('/api/*', authMiddleware());
  const api = newRouter();
  api.route('/', platformRoutes({ secureCookies: false }));
  for (const wing of wings) api.route('/', wing);
  app.route('/api', api);
  return app;
}

export interface TestClients {
  analyst: TestClient;
  viewer: TestClient;
  /** Never signs in. */
  anon: TestClient;
}

/** Clients that call whatever app `app()` returns at the time of the call (the app is made in beforeAll). */
export function testClients(app: () => App): TestClients {
  const client = () => new TestClient({ request: (p, i) => app().request(p, i) });
  return { analyst: client(), viewer: client(), anon: client() };
}

/**
 * Creates the organisation with its administrator, an analyst and a viewer (all with {@link TEST_PASSWORD}), and
 * signs the analyst's and the viewer's clients in; throws when a sign-in is refused. Returns the system actor.
 */
export async function signInTestUsers(db: Db, clients: Pick<TestClients, 'analyst' | 'viewer'>): Promise<Actor> {
  await bootstrapAdmin(db, { email: TEST_USERS.admin, password: TEST_PASSWORD, orgName: 'Lab' });
  const sys = await systemActor(db);
  await createUser(db, sys, { email: TEST_USERS.analyst, name: 'Ana', role: 'analyst', password: TEST_PASSWORD });
  await createUser(db, sys, { email: TEST_USERS.viewer, name: 'Vi', role: 'viewer', password: TEST_PASSWORD });
  for (const role of ['analyst', 'viewer'] as const) {
    const res = await clients[role].login(TEST_USERS[role], TEST_PASSWORD);
    if (res.status !== 200) throw new Error(`the test ${role} could not sign in: HTTP ${res.status} ${await res.text()}`);
  }
  return sys;
}
