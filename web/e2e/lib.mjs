// Helpers for the browser tests: Debian's Chromium through playwright-core, a line
// protocol to the pytest driver, and page probes that read what a person sees.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export function parseArgs(argv) {
  const args = {
    base: "",
    scenario: "",
    artifacts: "test-artifacts",
    chromium: "/usr/bin/chromium",
  };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, "");
    if (key && key in args) args[key] = argv[i + 1] ?? "";
  }
  if (!args.base || !args.scenario) {
    throw new Error("usage: node e2e/collab.mjs --base URL --scenario NAME [--artifacts DIR]");
  }
  mkdirSync(args.artifacts, { recursive: true });
  return args;
}

export async function launch(executablePath) {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A browser context for one person: their name remembered and the tour seen, unless a first visit. */
export async function person(
  browser,
  name,
  color,
  { firstVisit = false, viewport, theme = process.env.E2E_THEME ?? "dark" } = {},
) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1280, height: 800 } });
  if (!firstVisit)
    await context.addInitScript(
      ([n, c, t]) => {
        if (!localStorage.getItem("playground.prefs")) {
          localStorage.setItem(
            "playground.prefs",
            JSON.stringify({ name: n, color: c, theme: t, tourDone: true }),
          );
        }
      },
      [name, color, theme],
    );
  const page = await context.newPage();
  page.on("pageerror", (err) => log(`[${name}] page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/ERR_CONNECTION_REFUSED|status of 404/.test(msg.text()))
      log(`[${name}] console: ${msg.text()}`);
  });
  return { context, page, name };
}

export function log(message) {
  process.stderr.write(`${message}\n`);
}

// The driver (tests/e2e/test_browser.py) reads JSON commands from stdout and answers "ok".
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

export async function askDriver(cmd) {
  process.stdout.write(`${JSON.stringify({ cmd })}\n`);
  const { value, done } = await stdinLines.next();
  if (done || value?.trim() !== "ok") throw new Error(`driver did not confirm ${cmd}: ${value}`);
}

export async function api(base, method, path, body, headers = {}) {
  const res = await fetch(base + path, {
    method,
    headers: body ? { "content-type": "application/json", ...headers } : headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

export async function editorText(page) {
  // Remote carets are widgets inside the lines: leave their name labels out.
  return page.$$eval('[data-testid="editor"] .cm-line', (lines) =>
    lines
      .map((line) => {
        const copy = line.cloneNode(true);
        for (const w of copy.querySelectorAll(".cm-ySelectionCaret, .cm-widgetBuffer")) w.remove();
        return copy.textContent ?? "";
      })
      .join("\n"),
  );
}

export async function waitFor(what, probe, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last seen: ${JSON.stringify(last)})`);
}

export async function waitForText(page, needle, timeoutMs) {
  return waitFor(
    `editor of ${page.url()} to contain ${JSON.stringify(needle)}`,
    async () => (await editorText(page)).includes(needle),
    timeoutMs,
  );
}

export async function connectionStatus(page) {
  return page.textContent('[data-testid="connection-status"]');
}

export async function waitForStatus(page, status, timeoutMs = 20_000) {
  await page.waitForFunction(
    (s) => document.querySelector('[data-testid="connection-status"]')?.textContent === s,
    status,
    { timeout: timeoutMs },
  );
}

export async function outputText(page, testId = "output") {
  return page.$eval(`[data-testid="${testId}"] .xterm-rows`, (el) =>
    [...el.children].map((row) => row.textContent ?? "").join("\n"),
  );
}

/** Puts the caret at the very end of the document. */
export async function caretToEnd(page) {
  await page.click('[data-testid="editor"] .cm-content');
  await page.keyboard.press("Control+End");
}

/**
 * Starts recording the text of every toast `page` shows from now on. Toasts live a few
 * seconds, so one that appears while the test is busy elsewhere (a slow context close)
 * could be missed by polling; the returned function lists everything seen so far.
 */
export async function recordToasts(page) {
  await page.evaluate(() => {
    const seen = [];
    window.__seenToasts = seen;
    const note = (node) => {
      if (!(node instanceof Element)) return;
      const toasts = node.matches('[data-testid="toast"]')
        ? [node]
        : [...node.querySelectorAll('[data-testid="toast"]')];
      for (const t of toasts) seen.push(t.textContent ?? "");
    };
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) note(n);
    }).observe(document.body, { childList: true, subtree: true });
  });
  return () => page.evaluate(() => window.__seenToasts);
}

export async function shot(page, artifacts, name) {
  // Finished animations: a drawer caught mid-slide is not what a person sees.
  await page.screenshot({ path: `${artifacts}/${name}.png`, animations: "disabled" });
}

export function count(haystack, needle) {
  return haystack.split(needle).length - 1;
}

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Runs the scenario named on the command line; screenshots of every page if it fails. */
export async function runScenario(args, scenarios) {
  const browser = await launch(args.chromium);
  let failed = false;
  try {
    const scenario = scenarios[args.scenario];
    if (!scenario) throw new Error(`unknown scenario ${args.scenario}`);
    await scenario(browser);
    log(`scenario ${args.scenario}: passed`);
  } catch (err) {
    failed = true;
    log(`scenario ${args.scenario}: FAILED: ${err.stack ?? err}`);
    // One file per page of every person: numbered across contexts, so none overwrites another.
    const pages = browser.contexts().flatMap((ctx) => ctx.pages());
    for (const [i, page] of pages.entries()) {
      await page
        .screenshot({ path: `${args.artifacts}/${args.scenario}-failure-${i}.png` })
        .catch(() => {});
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}

// axe-core, the accessibility engine browsers' own audits use, read once.
let axeSource = null;

/**
 * The page's accessibility violations as axe-core finds them (WCAG 2.1 A and AA rules,
 * colour contrast included), one line each: "rule: what (n) e.g. selector". Empty when
 * there are none.
 */
export async function accessibilityViolations(page) {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  // A drawer sliding in is half transparent: audit what a person sees once it is still.
  await page
    .waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"), null, {
      timeout: 3_000,
    })
    .catch(() => {});
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
      },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => {
      const node = v.nodes[0];
      // For contrast, the colours and ratio found: what to change.
      const data = node?.any?.[0]?.data;
      const colours = data?.fgColor
        ? ` (${data.fgColor} on ${data.bgColor}: ${data.contrastRatio})`
        : "";
      return `${v.id}: ${v.help} (${v.nodes.length}) e.g. ${node?.target.join(" ")}${colours}`;
    });
  });
  return violations;
}

/** Fails the scenario if the page has accessibility violations. */
export async function checkAccessible(page, where) {
  const found = await accessibilityViolations(page);
  check(found.length === 0, `accessibility of ${where}:\n  ${found.join("\n  ")}`);
}
