// Browser scenarios of the playground, in Debian's headless Chromium:
//   collab  - two people on one session: typing, remote caret, presence, shortcuts help
//   run     - Ctrl+Enter in one browser, output (and stdin) seen in the other; run history
//   offline - the server goes away while both keep editing, one reloads offline, then
//             the server comes back: both converge with nothing duplicated
//   limit   - a paste past the code size limit is refused in the editor; two offline
//             pastes too large together: the second to sync is told, undoes, converges
//   home    - session list, search, create dialog, first-visit tour, narrow width
//   archive - a session's history downloaded from its page and imported from the home
//             page: a new session with the same code and the same edits
//   light   - the light theme's views pass the accessibility audit (the others audit
//             the dark theme)
// Exits non-zero on failure; screenshots go to --artifacts.
import {
  api,
  askDriver,
  caretToEnd,
  check,
  checkAccessible,
  count,
  editorText,
  outputText,
  parseArgs,
  person,
  recordToasts,
  runScenario,
  shot,
  waitFor,
  waitForStatus,
  waitForText,
} from "./lib.mjs";

const args = parseArgs(process.argv);
const A = args.artifacts;

async function openSession(people, id) {
  for (const p of people) await p.page.goto(`${args.base}/s/${id}`);
  for (const p of people) await waitForStatus(p.page, "connected");
}

async function presenceNames(page) {
  return page.$$eval('[data-testid="presence"] > *', (els) =>
    els.map((e) => e.getAttribute("data-name")),
  );
}

async function collab(browser) {
  const session = await api(args.base, "POST", "/api/sessions", {
    language: "python",
    title: "Pair programming",
  });
  const ada = await person(browser, "Ada Lovelace", "#e5484d");
  const bob = await person(browser, "Bob", "#0090ff");
  await openSession([ada, bob], session.id);

  await waitFor("presence to list both people in both browsers", async () => {
    const [a, b] = [await presenceNames(ada.page), await presenceNames(bob.page)];
    return a.length === 2 && b.length === 2 && a.includes("Bob") && b.includes("Ada Lovelace");
  });

  await caretToEnd(ada.page);
  await ada.page.keyboard.type("\nfor i in range(3):\nprint(i * i)");
  await waitForText(bob.page, "print(i * i)");

  // Bob sees Ada's caret, labelled with her name.
  await waitFor("Ada's caret in Bob's editor", () =>
    bob.page.$$eval(".cm-ySelectionCaret", (els) =>
      els.some((e) => e.textContent?.includes("Ada Lovelace")),
    ),
  );
  // Her name shows over it while she is active, then only on hover.
  const shownNames = () =>
    bob.page.$$eval(".cm-ySelectionInfo.is-active", (els) => els.map((e) => e.textContent));
  await waitFor("Ada's name over her caret while she types", async () =>
    (await shownNames()).includes("Ada Lovelace"),
  );
  await waitFor(
    "her name to go once she is still",
    async () => (await shownNames()).length === 0,
    8_000,
  );
  // Bob looks for Ada: a click on her avatar shows her name over her caret again.
  await bob.page.click('[data-testid="presence"] [data-name="Ada Lovelace"]');
  await waitFor("Ada's name after Bob looked for her", async () =>
    (await shownNames()).includes("Ada Lovelace"),
  );
  await bob.page.hover(".cm-ySelectionCaret");
  await shot(ada.page, A, "collab-ada");
  await shot(bob.page, A, "collab-bob");

  // Undo is per person: Bob's undo leaves Ada's text alone.
  await caretToEnd(bob.page);
  await bob.page.keyboard.type("\n# bob was here");
  await waitForText(ada.page, "# bob was here");
  await bob.page.keyboard.press("Control+z");
  await waitFor("Bob's own edit to be undone everywhere", async () => {
    const t = await editorText(ada.page);
    return !t.includes("# bob was here") && t.includes("print(i * i)");
  });

  // A language switch reaches everyone.
  await ada.page.selectOption('[data-testid="language-select"]', "ruby");
  await waitFor(
    "Bob's language select to follow",
    async () => (await bob.page.inputValue('[data-testid="language-select"]')) === "ruby",
  );

  await bob.page.keyboard.press("Escape");
  await bob.page.click(".pane-title");
  await bob.page.keyboard.press("?");
  await bob.page.waitForSelector('[data-testid="shortcuts-help"]');
  await shot(bob.page, A, "shortcuts-help");
  await bob.page.keyboard.press("Escape");

  // Bob leaves: Ada is told, and her presence drops to one. The toast lives 3 s and
  // closing a context can take longer on a loaded machine, so Ada's toasts are recorded
  // from before Bob goes.
  const toastsSeen = await recordToasts(ada.page);
  await bob.context.close();
  await waitFor(
    "a toast telling Ada that Bob left",
    async () => (await toastsSeen()).some((t) => t.includes("Bob left")),
    40_000,
  );
  await waitFor(
    "Ada's presence to drop Bob",
    async () => (await presenceNames(ada.page)).length === 1,
    40_000,
  );
  await ada.context.close();
}

async function run(browser) {
  const code = [
    "import sys",
    'print("hello from the sandbox")',
    'print("this goes to stderr", file=sys.stderr)',
    "name = input()",
    'print(f"got {name}")',
    "",
  ].join("\n");
  const session = await api(args.base, "POST", "/api/sessions", {
    language: "python",
    title: "Run together",
    code,
  });
  const ada = await person(browser, "Ada Lovelace", "#e5484d");
  const bob = await person(browser, "Bob", "#0090ff");
  await openSession([ada, bob], session.id);
  await ada.page.waitForSelector('[data-testid="run-button"]:not([disabled])');

  await ada.page.click('[data-testid="editor"] .cm-content');
  await ada.page.keyboard.press("Control+Enter");
  await waitFor(
    "the output in Bob's terminal",
    async () => (await outputText(bob.page)).includes("hello from the sandbox"),
    30_000,
  );
  const stdin = await ada.page.waitForSelector('[data-testid="stdin-input"]', { timeout: 10_000 });
  await bob.page.waitForSelector('[data-testid="stdin-input"]');
  // The terminal shrinks to make room for the stdin bar and never hangs over it.
  await waitFor("the terminal to end above the stdin bar", async () =>
    ada.page.evaluate(() => {
      const screen = document.querySelector('[data-testid="output"] .xterm-screen');
      const bar = document.querySelector(".stdin-bar");
      return (
        !!screen &&
        !!bar &&
        screen.getBoundingClientRect().bottom <= bar.getBoundingClientRect().top
      );
    }),
  );
  await stdin.fill("Zed");
  await stdin.press("Enter");
  await waitFor(
    "stdin to reach the program",
    async () => (await outputText(bob.page)).includes("got Zed"),
    20_000,
  );
  await waitFor(
    "the run to finish in both",
    async () =>
      (await ada.page.getAttribute('[data-testid="run-status"]', "data-status")) === "ok" &&
      (await bob.page.getAttribute('[data-testid="run-status"]', "data-status")) === "ok",
  );
  const out = await outputText(bob.page);
  check(out.includes("this goes to stderr"), `stderr shown: ${out}`);
  // What Ada typed shows in Bob's terminal too, before the line that answers it.
  check(out.includes("Zed\ngot Zed"), `Ada's input shown to Bob in its place: ${out}`);
  check(out.includes("Ada Lovelace ran Python"), `run header names who ran it: ${out}`);
  // stderr is coloured: xterm renders it in a span with a foreground colour class.
  const stderrColoured = await bob.page.$$eval('[data-testid="output"] .xterm-rows span', (spans) =>
    spans.some(
      (s) => s.textContent?.includes("this goes to stderr") && /xterm-fg-1\b/.test(s.className),
    ),
  );
  check(stderrColoured, "stderr is rendered in red");
  // What the program used, in the status and on the terminal's last line.
  const status = (await bob.page.getAttribute('[data-testid="run-duration"]', "title")) ?? "";
  check(
    /CPU [\d.]+ m?s · [\d.]+ [KM]iB peak/.test(status),
    `the run's usage in its status: ${status}`,
  );
  check(
    /CPU [\d.]+ m?s · [\d.]+ [KM]iB peak/.test(out),
    `the run's usage on its last line: ${out}`,
  );
  await shot(ada.page, A, "run-ada");
  await checkAccessible(bob.page, "a session with a finished run");
  await shot(bob.page, A, "run-bob");

  // History: the finished run is listed and its stored output opens.
  const row = await bob.page.waitForSelector('[data-testid="run-history"] .history-row', {
    timeout: 10_000,
  });
  const rowText = (await row.textContent()) ?? "";
  check(rowText.includes("Ada Lovelace · Python"), `the history names the language: ${rowText}`);
  await row.click();
  await waitFor("the past run's output, with what was typed", async () =>
    (await outputText(bob.page, "past-output").catch(() => "")).includes("Zed\ngot Zed"),
  );
  await shot(bob.page, A, "run-history");
  await bob.page.keyboard.press("Escape");

  // Stop: an endless program is stopped from the other browser.
  await caretToEnd(ada.page);
  await ada.page.keyboard.type("\nimport time\nwhile True:\ntime.sleep(0.1)\n");
  await waitForText(bob.page, "time.sleep(0.1)");
  await ada.page.click('[data-testid="run-button"]');
  await bob.page.waitForSelector('[data-testid="stop-button"]:not([disabled])', {
    timeout: 20_000,
  });
  await waitFor(
    "the program to wait for input",
    async () =>
      (await ada.page.getAttribute('[data-testid="run-status"]', "data-status")) === "running",
  );
  await ada.page.fill('[data-testid="stdin-input"]', "again");
  await ada.page.press('[data-testid="stdin-input"]', "Enter");
  await bob.page.click('[data-testid="stop-button"]');
  await waitFor(
    "the run to be stopped",
    async () =>
      (await ada.page.getAttribute('[data-testid="run-status"]', "data-status")) === "killed",
    20_000,
  );
  await shot(ada.page, A, "run-stopped");

  // Replay: the latest moment first, with the last run's output beside the code.
  await ada.page.click('[data-testid="replay-button"]');
  const replayCode = async () =>
    ada.page.$$eval('[data-testid="replay-code"] .cm-line', (ls) =>
      ls.map((l) => l.textContent).join("\n"),
    );
  const replayStatus = async () =>
    (await ada.page.textContent('[data-testid="replay-run-status"]').catch(() => "")) ?? "";
  await waitFor("replay to show the latest code", async () =>
    (await replayCode()).includes("time.sleep(0.1)"),
  );
  await waitFor("replay to show the stopped run", async () =>
    (await replayStatus()).includes("Stopped"),
  );

  // The session is live: what Bob types while Ada's replay is at the end joins it there.
  await caretToEnd(bob.page);
  await bob.page.keyboard.type("\n# typed during the replay");
  await waitFor(
    "the replay to follow a live edit",
    async () => (await replayCode()).includes("# typed during the replay"),
    20_000,
  );
  check(
    ((await ada.page.textContent('[data-testid="replay-position"]')) ?? "").includes("by Bob"),
    "the live edit is Bob's",
  );

  // Home: the code as created, and nothing has run yet.
  await ada.page.keyboard.press("Home");
  await waitFor("replay at the start to show the created code", async () => {
    const code = await replayCode();
    return code.includes("import sys") && !code.includes("time.sleep");
  });
  await ada.page.waitForSelector("text=Nothing had run yet at this moment.");
  await shot(ada.page, A, "replay-start");

  // A run's mark goes to its end: the terminal as everyone saw it then.
  await ada.page.click(".replay-mark");
  await waitFor("the first run's output in the replay", async () => {
    const out = await outputText(ada.page, "replay-output").catch(() => "");
    return out.includes("hello from the sandbox") && out.includes("got Zed");
  });
  check((await replayStatus()).includes("Exited 0"), `first run's status: ${await replayStatus()}`);

  // Step to the next moment: one of Ada's keystrokes, marked with her name.
  await ada.page.click('[data-testid="replay-forward"]');
  await waitFor("a step to land on Ada's first edit", async () =>
    ((await ada.page.textContent('[data-testid="replay-position"]')) ?? "").includes(
      "by Ada Lovelace",
    ),
  );
  await ada.page.waitForSelector('[data-testid="replay-code"] .cm-replay-author');

  // Play to the end at 16x: the typing, then the second run, then it stops by itself.
  await ada.page.selectOption('[data-testid="replay-speed"]', "16");
  await ada.page.click('[data-testid="replay-play"]');
  await waitFor(
    "playback to reach the end and stop",
    async () =>
      (await ada.page.getAttribute('[data-testid="replay-play"]', "data-playing")) === "false" &&
      (await replayCode()).includes("time.sleep(0.1)") &&
      (await replayStatus()).includes("Stopped"),
    30_000,
  );
  await shot(ada.page, A, "replay");
  await checkAccessible(ada.page, "the replay");

  // The run on screen opens whole; Escape closes that first, then the replay.
  await ada.page.click("text=Open run");
  // (The stop may come before the endless program prints anything: look for how it ended.)
  await waitFor("the run's whole output", async () =>
    (await outputText(ada.page, "past-output").catch(() => "")).includes("Stopped"),
  );
  await ada.page.keyboard.press("Escape");
  await ada.page.waitForSelector('[data-testid="past-output"]', { state: "detached" });
  check(
    (await ada.page.$('[data-testid="replay"]')) !== null,
    "Escape on the run left the replay open",
  );
  await ada.page.keyboard.press("Escape");
  await ada.page.waitForSelector('[data-testid="replay"]', { state: "detached" });
  await ada.context.close();
  await bob.context.close();
}

async function offline(browser) {
  const session = await api(args.base, "POST", "/api/sessions", {
    language: "python",
    title: "Offline edits",
  });
  const ada = await person(browser, "Ada Lovelace", "#e5484d");
  const bob = await person(browser, "Bob", "#0090ff");
  await openSession([ada, bob], session.id);
  const before = await editorText(ada.page);
  // The app shell must be cached before the server goes away, or the reload has nothing to load.
  await ada.page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return reg.active?.state;
  });
  await waitFor("the service worker to control the page", () =>
    ada.page.evaluate(
      async () => !!navigator.serviceWorker.controller || (await caches.has("playground-shell-v2")),
    ),
  );

  await caretToEnd(ada.page);
  await ada.page.keyboard.type("\nonline = 1");
  await waitForText(bob.page, "online = 1");

  await askDriver("stop_server");
  await waitForStatus(ada.page, "offline");
  await waitForStatus(bob.page, "offline");

  await caretToEnd(ada.page);
  await ada.page.keyboard.type("\nada_offline = 2");
  await caretToEnd(bob.page);
  await bob.page.keyboard.type("\nbob_offline = 3");
  await shot(ada.page, A, "offline-ada");

  // Give y-indexeddb a moment to write, then reload with the server still down.
  await ada.page.waitForTimeout(500);
  await ada.page.reload();
  await waitForText(ada.page, "ada_offline = 2");
  check(
    (await editorText(ada.page)).includes("online = 1"),
    "reloaded offline copy keeps earlier edits",
  );
  await caretToEnd(ada.page);
  await ada.page.keyboard.type("\nafter_reload = 4");
  await shot(ada.page, A, "offline-ada-reloaded");

  await askDriver("start_server");
  await waitForStatus(ada.page, "connected", 30_000);
  await waitForStatus(bob.page, "connected", 30_000);
  let seen = [];
  const merged = await waitFor(
    "both editors to converge",
    async () => {
      const [a, b] = [await editorText(ada.page), await editorText(bob.page)];
      seen = [a, b];
      return a === b && a.includes("bob_offline = 3") && b.includes("after_reload = 4") ? a : null;
    },
    30_000,
  ).catch((err) => {
    throw new Error(`${err.message}\nAda sees:\n${seen[0]}\nBob sees:\n${seen[1]}`);
  });
  for (const needle of ["online = 1", "ada_offline = 2", "bob_offline = 3", "after_reload = 4"]) {
    check(count(merged, needle) === 1, `${needle} appears once in:\n${merged}`);
  }
  const firstLine = before.split("\n")[0] ?? "";
  check(count(merged, firstLine) === 1, `the template appears once in:\n${merged}`);
  // And the server has it: a fresh reader gets the same code.
  const detail = await waitFor("the server to hold the merged code", async () => {
    const d = await api(args.base, "GET", `/api/sessions/${session.id}`);
    return d.code === merged ? d : null;
  });
  check(detail.code === merged, "server copy matches");
  await shot(ada.page, A, "offline-converged-ada");
  await shot(bob.page, A, "offline-converged-bob");
  await ada.context.close();
  await bob.context.close();
}

async function home(browser) {
  await api(args.base, "POST", "/api/sessions", {
    language: "rust",
    title: "Borrow checker notes",
  });
  const hidden = await api(args.base, "POST", "/api/sessions", {
    language: "go",
    title: "Goroutines",
    code: "package main // findme-xyz\n",
  });
  const newcomer = await person(browser, "", "", { firstVisit: true });
  const { page } = newcomer;
  await page.goto(`${args.base}/`);
  await page.waitForSelector('[data-testid="session-list"]');
  await shot(page, A, "home");
  await checkAccessible(page, "the home page");
  await page.fill('[data-testid="session-search"]', "findme-xyz");
  await waitFor("search by code to narrow the list", async () => {
    const titles = await page.$$eval(".session-title", (els) => els.map((e) => e.textContent));
    return titles.length === 1 && titles[0] === "Goroutines";
  });
  await page.fill('[data-testid="session-search"]', "");
  await page.click('[data-testid="new-session"]');
  await page.fill('[data-testid="create-title"]', "My first session");
  await page.selectOption('[data-testid="create-language"]', "javascript");
  await shot(page, A, "create-dialog");
  await checkAccessible(page, "the new-session dialog");
  await page.click("button:has-text('Create session')");
  await page.waitForURL(/\/s\//);
  await page.waitForSelector('[data-testid="name-input"]');
  await shot(page, A, "name-prompt");
  await checkAccessible(page, "the name prompt");
  await page.fill('[data-testid="name-input"]', "Newcomer");
  await page.click("button:has-text('Join session')");
  await page.waitForSelector('[data-testid="tour"]');
  await page.waitForTimeout(400);
  await shot(page, A, "tour");
  await checkAccessible(page, "the tour");
  await page.click("button:has-text('Next')");
  await page.click("button:has-text('Skip tour')");
  check((await page.$('[data-testid="tour"]')) === null, "tour skipped");
  await waitForText(page, "console.log");
  // The untouched JavaScript starter becomes Python's when the language changes; undo
  // brings it back, and code someone wrote survives a change of language.
  await page.selectOption('[data-testid="language-select"]', "python");
  await waitFor("the Python starter", async () => (await editorText(page)).includes("print("));
  check(!(await editorText(page)).includes("console.log"), "the JavaScript starter replaced");
  await page.click(".cm-content");
  await page.keyboard.press("Control+z");
  await waitForText(page, "console.log");
  await page.keyboard.press("Control+End");
  await page.keyboard.type("\n// mine");
  await page.selectOption('[data-testid="language-select"]', "typescript");
  await page.waitForTimeout(300);
  check((await editorText(page)).includes("// mine"), "written code kept across a switch");
  await page.reload();
  await waitForStatus(page, "connected");
  // Alone in the session, before touching anything, a person sees themselves listed.
  await waitFor("the newcomer in their own presence list", async () =>
    (await presenceNames(page)).includes("Newcomer"),
  );
  check((await page.$('[data-testid="tour"]')) === null, "tour remembered as done");
  await checkAccessible(page, "a session");
  check((await page.$('[data-testid="name-input"]')) === null, "name remembered");

  await page.setViewportSize({ width: 900, height: 700 });
  await shot(page, A, "session-narrow");
  // On a phone every control of the top bar is still on screen (it takes two rows).
  await page.setViewportSize({ width: 390, height: 844 });
  for (const testId of [
    "language-select",
    "connection-status",
    "replay-button",
    "share-button",
    "export-button",
  ]) {
    const box = await page.locator(`[data-testid="${testId}"]`).boundingBox();
    check(
      box !== null && box.x >= 0 && box.x + box.width <= 390,
      `${testId} on screen at 390 px: ${JSON.stringify(box)}`,
    );
  }
  await shot(page, A, "session-phone");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('button[aria-label="Settings"]');
  await page.waitForSelector('[data-testid="settings-panel"]');
  await shot(page, A, "settings");
  await checkAccessible(page, "the settings drawer");

  // Deleting from the list asks first, then the session is gone.
  await page.goto(`${args.base}/`);
  const row = page.locator(".session-row", { hasText: "Goroutines" });
  await row.hover();
  await row.locator(".row-delete").click();
  await shot(page, A, "delete-confirm");
  await page.click("button:has-text('Delete')");
  await waitFor(
    "the deleted session to leave the list",
    async () =>
      !(await page.$$eval(".session-title", (els) => els.map((e) => e.textContent))).includes(
        "Goroutines",
      ),
  );
  const res = await fetch(`${args.base}/api/sessions/${hidden.id}`);
  check(res.status === 404, "the server deleted it");

  // Someone deletes the session you are in: you are told and taken back to the list.
  const doomed = await api(args.base, "POST", "/api/sessions", {
    language: "bash",
    title: "Short-lived",
  });
  await page.goto(`${args.base}/s/${doomed.id}`);
  await waitForStatus(page, "connected");
  await api(args.base, "DELETE", `/api/sessions/${doomed.id}`);
  await page.waitForURL(`${args.base}/`, { timeout: 15_000 });
  await page.waitForSelector('[data-testid="toast"]:has-text("This session was deleted")');
  await shot(page, A, "deleted-back-home");
  await newcomer.context.close();
}

async function archive(browser) {
  const original = await api(args.base, "POST", "/api/sessions", {
    language: "python",
    title: "Archived lesson",
    code: "print('first')\n",
  });
  const ada = await person(browser, "Ada", "#e5484d");
  const { page } = ada;
  await page.goto(`${args.base}/s/${original.id}`);
  await waitForStatus(page, "connected");
  await caretToEnd(page);
  await page.keyboard.type("print('typed in the browser')");
  await waitFor("the edit to reach the server", async () => {
    const stored = await api(args.base, "GET", `/api/sessions/${original.id}`);
    return stored.code.includes("typed in the browser");
  });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click('[data-testid="export-button"]'),
  ]);
  check(
    download.suggestedFilename() === `session-${original.id}.json`,
    `the file is named after the session: ${download.suggestedFilename()}`,
  );
  const file = `${A}/archive-${original.id}.json`;
  await download.saveAs(file);
  const editsBefore = (
    await api(args.base, "GET", `/api/sessions/${original.id}/timeline`)
  ).events.filter((e) => e.kind === "edit").length;

  await page.goto(`${args.base}/`);
  await page.waitForSelector('[data-testid="session-list"]');
  await page.setInputFiles('[data-testid="import-file"]', file);
  await page.waitForURL(
    (url) => url.pathname.startsWith("/s/") && !url.pathname.endsWith(original.id),
  );
  await waitForStatus(page, "connected");
  await waitForText(page, "typed in the browser");
  check((await editorText(page)).includes("print('first')"), "the imported code is whole");
  const copy = new URL(page.url()).pathname.split("/").pop();
  const editsAfter = (await api(args.base, "GET", `/api/sessions/${copy}/timeline`)).events.filter(
    (e) => e.kind === "edit",
  ).length;
  check(editsAfter === editsBefore, `every edit came along (${editsAfter} of ${editsBefore})`);
  await shot(page, A, "imported");
  await ada.context.close();
}

/** Pastes `text` into a person's editor, as the browser does for Ctrl+V. */
async function paste(page, text) {
  await page.click('[data-testid="editor"] .cm-content');
  await page.evaluate((t) => {
    const data = new DataTransfer();
    data.setData("text/plain", t);
    const content = document.querySelector('[data-testid="editor"] .cm-content');
    content?.dispatchEvent(
      new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
    );
  }, text);
}

async function limit(browser) {
  const session = await api(args.base, "POST", "/api/sessions", {
    language: "python",
    title: "Size limit",
  });
  const { code_bytes: maxBytes } = await api(args.base, "GET", "/api/limits");
  const serverCode = async () => (await api(args.base, "GET", `/api/sessions/${session.id}`)).code;
  const created = await serverCode();
  const ada = await person(browser, "Ada Lovelace", "#e5484d");
  const bob = await person(browser, "Bob", "#0090ff");
  await openSession([ada, bob], session.id);
  const block = (tag, bytes) =>
    `# ${tag}\n${"x = 1  # padding padding padding padding\n".repeat(Math.ceil(bytes / 42))}`;

  // Online, a paste past the limit is refused in the editor, with the reason; nothing else changes.
  await paste(ada.page, block("too_big", maxBytes + 10_000));
  await ada.page.waitForSelector("text=Too large to add");
  check(
    !(await editorText(ada.page)).includes("too_big"),
    "the refused paste is not in the editor",
  );
  check((await serverCode()) === created, "the refused paste never reached the server");
  await waitForStatus(ada.page, "connected");

  // Offline, each pastes 60 % of the limit: fine alone, too large together.
  await askDriver("stop_server");
  await waitForStatus(ada.page, "offline");
  await waitForStatus(bob.page, "offline");
  await paste(ada.page, block("ada_block", maxBytes * 0.6));
  await paste(bob.page, block("bob_block", maxBytes * 0.6));
  await ada.page.waitForTimeout(500);
  await askDriver("start_server");

  // Whoever syncs second is refused and told why; the other's paste is saved.
  const banner = '[data-testid="refused-banner"]';
  const refused = await waitFor(
    "one of the two to be told their paste was not saved",
    async () => {
      const [a, b] = [await ada.page.$(banner), await bob.page.$(banner)];
      return a && !b ? ada : b && !a ? bob : null;
    },
    30_000,
  );
  const kept = refused === ada ? bob : ada;
  const [keptTag, refusedTag] =
    refused === ada ? ["bob_block", "ada_block"] : ["ada_block", "bob_block"];
  await shot(refused.page, A, "limit-refused");
  const saved = await serverCode();
  check(saved.includes(keptTag) && !saved.includes(refusedTag), `the server kept ${keptTag} only`);

  // Undoing the refused paste is enough: the banner goes and everyone converges.
  await refused.page.click('[data-testid="editor"] .cm-content');
  await refused.page.keyboard.press("Control+z");
  await refused.page.waitForSelector(banner, { state: "detached", timeout: 30_000 });
  await waitForStatus(refused.page, "connected", 30_000);
  await waitForStatus(kept.page, "connected", 30_000);
  // (An editor renders the lines in view only: both look at the top.)
  for (const p of [ada, bob]) {
    await p.page.click('[data-testid="editor"] .cm-content');
    await p.page.keyboard.press("Control+Home");
  }
  const final = await waitFor("the server and both editors to agree", async () => {
    const code = await serverCode();
    const [a, b] = [await editorText(ada.page), await editorText(bob.page)];
    return a === b && code.startsWith(a.slice(0, 300)) && !code.includes(refusedTag) ? code : null;
  });
  check(count(final, keptTag) === 1, `${keptTag} appears once`);
  await ada.context.close();
  await bob.context.close();
}

async function light(browser) {
  const session = await api(args.base, "POST", "/api/sessions", {
    language: "python",
    title: "Light",
    code: '# a comment, 42 and "a string"\nprint("hi", input("Name: "))\n',
  });
  const ada = await person(browser, "Ada Lovelace", "#facc15", { theme: "light" });
  const bob = await person(browser, "Bob", "#0ea5e9", { theme: "light" });
  const { page } = ada;
  await page.goto(`${args.base}/`);
  await page.waitForSelector('[data-testid="session-list"]');
  await checkAccessible(page, "the home page, light");
  await openSession([ada, bob], session.id);
  await caretToEnd(bob.page);
  await bob.page.keyboard.type("# bob");
  await waitForText(page, "# bob");
  await page.click('[data-testid="run-button"]');
  await page.waitForSelector('[data-testid="stdin-input"]');
  await page.fill('[data-testid="stdin-input"]', "Zed");
  await page.press('[data-testid="stdin-input"]', "Enter");
  await waitFor(
    "the run to finish",
    async () => (await page.getAttribute('[data-testid="run-status"]', "data-status")) === "ok",
  );
  await checkAccessible(page, "a session with a run and a yellow collaborator, light");
  await page.click('button[aria-label="Settings"]');
  await page.waitForSelector('[data-testid="settings-panel"]');
  await checkAccessible(page, "the settings drawer, light");
  await page.click('button[aria-label="Close settings"]');
  await page.click('[data-testid="replay-button"]');
  await page.waitForSelector('[data-testid="replay-code"]');
  await page.waitForTimeout(1000);
  await checkAccessible(page, "the replay, light");
  await shot(page, A, "light-replay");
}

const scenarios = { collab, run, offline, limit, home, archive, light };

await runScenario(args, scenarios);
