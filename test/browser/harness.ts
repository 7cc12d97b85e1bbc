/**
 * The shared set-up of the browser tests: build the console into a folder of the test's own, start the real server
 * on a loopback port with an in-memory database, launch Debian's chromium through playwright-core, and open one
 * page whose console errors are collected. Screenshots land in test-artifacts/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
export const hasChromium = existsSync(CHROMIUM);

/** Says on stderr why a test file's browser part does not run (chromium missing); returns whether it runs. */
export function chromiumOrWarn(label: string, what = 'browser part skipped', hint = "install Debian's chromium package"): boolean {
  if (!hasChromium) console.warn(`[${label}] ${what}: ${CHROMIUM} does not exist (${hint})`);
  return hasChromium;
}

/** The desktop window every browser test starts with. */
export const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'en-GB' } as const satisfies BrowserContextOptions;
/** The phone window (390 × 844) of the tests' phone checks. */
export const PHONE = { viewport: { width: 390, height: 844 }, locale: 'en-GB' } as const satisfies BrowserContextOptions;

export interface ConsoleHarness {
  srv: RunningServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Errors the main page logged in its console or threw. */
  consoleErrors: string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Folder name under test-artifacts/ that the console is built into (each test file has its own). */
  webDir: string;
  /** Server options besides port, data directory, quietness and web folder. */
  server: Omit<ServerOptions, 'port' | 'dataDir' | 'quiet' | 'webDir'>;
  /** Fills the database once the server runs, before the browser starts. */
  prepare?: (srv: RunningServer) => Promise<void>;
  /** Options of the main page's browser context, on top of {@link DESKTOP}. */
  context?: BrowserContextOptions;
}

/**
 * Builds the console as it is now (a few seconds) into test-artifacts/<webDir>, starts the server serving it, runs
 * `prepare`, then launches chromium and opens the main page. Under Vitest the bundle keeps React's development checks
 * (duplicate keys, bad props), which the tests' console-error checks catch. The build ends before the server starts,
 * because the server reads the console's index.html when it starts.
 */
export async function startHarness(opts: HarnessOptions): Promise<ConsoleHarness> {
  mkdirSync(SHOTS, { recursive: true });
  const outDir = join(ROOT, 'test-artifacts', opts.webDir);
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  const srv = await startServer({ ...opts.server, port: 0, dataDir: 'memory://', quiet: true, webDir: outDir });
  let browser: Browser | undefined;
  try {
    await opts.prepare?.(srv);
    browser = await launchChromium();
    const context = await browser.newContext({ ...DESKTOP, ...opts.context });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    const b = browser;
    return {
      srv,
      browser: b,
      context,
      page,
      consoleErrors,
      close: async () => {
        await b.close();
        await srv.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await srv.close();
    throw e;
  }
}

/** Headless chromium without the background traffic (updates, sync) a test machine has no use for. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A screenshot helper writing test-artifacts/screenshots/<prefix><name>.png of the page `page()` returns. */
export function shooter(page: () => Page, prefix = '') {
  return (name: string, fullPage = true) => page().screenshot({ path: shotPath(`${prefix}${name}`), fullPage });
}

/** The path of the screenshot `name` (without .png). */
export const shotPath = (name: string) => join(SHOTS, `${name}.png`);

/** Fills the sign-in form of the page and submits it. */
export async function submitSignIn(p: Page, email: string, password: string): Promise<void> {
  await p.getByLabel('E-mail').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

/** Opens `url` (which asks for a sign-in, the session being new) and signs in. */
export async function signIn(p: Page, url: string, email: string, password: string): Promise<void> {
  await p.goto(url);
  await submitSignIn(p, email, password);
}

/** How wide the page is against the window, to check that nothing scrolls sideways. */
export const pageWidth = (p: Page) => p.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
