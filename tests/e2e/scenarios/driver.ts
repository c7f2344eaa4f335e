import type { ListName } from '../support/config';
import type { BuildName } from '../support/shared';

/**
 * The small interface the shared scenarios are written against. Chromium implements it with
 * Playwright (support/playwright-driver.ts), Firefox with puppeteer over WebDriver BiDi
 * (support/firefox.ts). Selectors are CSS; ` >>> ` steps into the open shadow root of what
 * precedes it (the warning lives in one).
 */

export type BrowserName = 'chromium' | 'firefox';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Text filters match an element's whitespace-collapsed textContent. */
export type TextFilter = string | RegExp;

/** One browser tab: a web page or one of the extension's own pages. */
export interface Tab {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Runs `fn` in the page's own world (not the content script's). */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** Runs `fn` in every document this tab loads from now on, before the page's scripts. */
  addInitScript(fn: () => void): Promise<void>;
  /** Whitespace-collapsed textContent of every match, in document order. */
  texts(selector: string): Promise<string[]>;
  count(selector: string): Promise<number>;
  /** The attribute of the first match; null when nothing matches or the attribute is absent. */
  attribute(selector: string, name: string): Promise<string | null>;
  /** Whether the first match (whose text contains `text`, if given) is rendered and visible. */
  visible(selector: string, text?: TextFilter): Promise<boolean>;
  /** A real pointer click on the first visible match (whose text contains `text`), waiting for it. */
  click(selector: string, text?: TextFilter): Promise<void>;
  /** Types `value` into the matching field, replacing what it holds. */
  fill(selector: string, value: string): Promise<void>;
  scrollIntoView(selector: string): Promise<void>;
  /** Bounding box of the first match in viewport coordinates; null when nothing matches. */
  box(selector: string): Promise<Box | null>;
  /** Saves a screenshot for a human to look at (the run's screenshot folder); `clip` as `box()` gives it. */
  screenshot(name: string, options?: { fullPage?: boolean; clip?: Box }): Promise<void>;
  close(): Promise<void>;
}

export interface PopupOptions {
  /** The popup's clock (ms since the epoch): it renders the blackout status for that time. */
  at?: number;
}

/** One fresh browser profile with one build of the extension installed (a first install). */
export interface Session {
  readonly browser: BrowserName;
  /** The first tab, active, for the page under test. */
  readonly page: Tab;
  /** Opens popup.html in a second tab while `target` stays the active tab the popup reports on. */
  openPopup(target: Tab, options?: PopupOptions): Promise<Tab>;
  openOptions(): Promise<Tab>;
  /** Addresses of the extension's pages open in tabs (the onboarding page opens by itself). */
  extensionTabs(): Promise<string[]>;
  /** Finds the open tab of one of the extension's pages (e.g. 'onboarding.html'). */
  extensionTab(path: string): Promise<Tab>;
}

export interface Scenario {
  title: string;
  /** Which extension build to load (default: 'configured', the one with the test list server). */
  build?: BuildName;
  /** What the server's /list.lwl serves when the browser starts (default: 'v1'). */
  serve?: ListName;
  /** Whether the browser grants host access at install (default: true). Firefox can withhold it. */
  hostAccess?: boolean;
  /**
   * Whether the browser answers permission prompts with "Allow", as a user clicking it would
   * (default: false, no prompt may appear). Headless Chromium cannot answer them at all.
   */
  allowPrompts?: boolean;
  /** Browsers the scenario applies to (default: both). */
  browsers?: readonly BrowserName[];
  run(session: Session): Promise<void>;
}
