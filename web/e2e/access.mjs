// Browser scenarios of share links and the admin token, in Debian's headless Chromium:
//   viewonly  - one person on the edit link, one on the view link: the viewer sees
//               everything live but can change and run nothing; a wrong link is refused
//   protected - a server started with PLAYGROUND_ADMIN_TOKEN=x: the home page asks for
//               the token, then lists and opens sessions; a bare session URL is refused
// Exits non-zero on failure; screenshots go to --artifacts.
import {
  api,
  caretToEnd,
  check,
  checkAccessible,
  editorText,
  parseArgs,
  person,
  runScenario,
  shot,
  waitFor,
  waitForStatus,
  waitForText,
} from "./lib.mjs";

const args = parseArgs(process.argv);
const A = args.artifacts;
const ADMIN = { authorization: "Bearer x" };

async function presenceNames(page) {
  return page.$$eval('[data-testid="presence"] > *', (els) =>
    els.map((e) => e.getAttribute("data-name")),
  );
}

/** Counts the document sockets a page opens: a refused link must not retry in a loop. */
function countDocSockets(page) {
  const seen = { count: 0 };
  page.on("websocket", (ws) => {
    if (ws.url().includes("/ws/doc/")) seen.count++;
  });
  return seen;
}

async function isDisabled(page, testId) {
  return page.$eval(`[data-testid="${testId}"]`, (el) => el.disabled === true);
}

async function shareLinks(page) {
  await page.click('[data-testid="share-button"]');
  await page.waitForSelector('[data-testid="share-popover"]');
  const value = async (id) => {
    const el = await page.$(`[data-testid="${id}"]`);
    return el ? el.inputValue() : null;
  };
  return { edit: await value("share-edit-link"), view: await value("share-view-link") };
}

async function expectRefused(page, url, name) {
  const sockets = countDocSockets(page);
  await page.goto(url);
  await page.waitForSelector('[data-testid="access-denied"]', { timeout: 15_000 });
  await page.waitForTimeout(3000);
  check(sockets.count === 1, `${name}: one refused socket, no reconnect loop (${sockets.count})`);
  check(
    (await page.textContent("h1"))?.includes("This session needs a share link"),
    `${name}: the page says a share link is needed`,
  );
}

async function viewonly(browser) {
  const session = await api(args.base, "POST", "/api/sessions", {
    language: "python",
    title: "Watch me code",
    code: "print('hello')\n",
  });
  check(session.links?.edit && session.links?.view, "the 201 carries both links");
  const ada = await person(browser, "Ada Lovelace", "#e5484d");
  const viewer = await person(browser, "Vic Viewer", "#12a594");
  await ada.page.goto(args.base + session.links.edit);
  await viewer.page.goto(args.base + session.links.view);
  await waitForStatus(ada.page, "connected");
  await waitForStatus(viewer.page, "connected");
  await waitFor("presence to list both people in both browsers", async () => {
    const [a, v] = [await presenceNames(ada.page), await presenceNames(viewer.page)];
    return (
      a.length === 2 && v.length === 2 && a.includes("Vic Viewer") && v.includes("Ada Lovelace")
    );
  });

  // The viewer's controls say view only; the editor's are live.
  await viewer.page.waitForSelector('[data-testid="view-only-badge"]');
  check(await isDisabled(viewer.page, "run-button"), "viewer: Run disabled");
  check(await isDisabled(viewer.page, "language-select"), "viewer: language locked");
  check(
    (await viewer.page.getAttribute('[data-testid="editor"] .cm-content', "contenteditable")) ===
      "false",
    "viewer: the editor is not editable",
  );
  check((await ada.page.$('[data-testid="view-only-badge"]')) === null, "Ada: no badge");
  await ada.page.waitForSelector('[data-testid="run-button"]:not([disabled])').catch(() => {
    // Without a language image the run button may wait for the runner; the editor matters here.
  });
  check(
    (await ada.page.getAttribute('[data-testid="editor"] .cm-content', "contenteditable")) ===
      "true",
    "Ada: the editor is editable",
  );
  check(
    new URL(viewer.page.url()).searchParams.get("t") ===
      new URL(args.base + session.links.view).searchParams.get("t"),
    "the view token stays in the viewer's address bar",
  );

  // Ada's edits reach the viewer live.
  await caretToEnd(ada.page);
  await ada.page.keyboard.type("\nprint('from ada')");
  await waitForText(viewer.page, "print('from ada')");

  // The viewer types, deletes and runs: nothing changes anywhere.
  const before = await editorText(viewer.page);
  await caretToEnd(viewer.page);
  await viewer.page.keyboard.type("\nHACKED = 1");
  await viewer.page.keyboard.press("Control+a");
  await viewer.page.keyboard.press("Backspace");
  await viewer.page.keyboard.press("Delete");
  await viewer.page.keyboard.press("Control+Enter");
  await viewer.page.waitForTimeout(1500);
  check((await editorText(viewer.page)) === before, "viewer's typing changed nothing there");
  const adaText = await editorText(ada.page);
  check(!adaText.includes("HACKED") && adaText.includes("print('hello')"), "nor at Ada's");
  const stored = await api(args.base, "GET", `/api/sessions/${session.id}`);
  check(!stored.code.includes("HACKED") && stored.code.includes("from ada"), "nor on the server");
  await viewer.page.waitForSelector('[data-testid="toast"]:has-text("View only")');
  await viewer.page.hover('[data-testid="view-only-badge"]');
  await shot(viewer.page, A, "viewonly-viewer");
  await checkAccessible(viewer.page, "a view-only session");

  // Share: the viewer can hand out only the view link; Ada both, as absolute URLs.
  const viewerLinks = await shareLinks(viewer.page);
  check(viewerLinks.edit === null, "viewer is not offered the edit link");
  check(
    viewerLinks.view === args.base + session.links.view,
    `viewer's view link ${viewerLinks.view}`,
  );
  await shot(viewer.page, A, "viewonly-share-viewer");
  await checkAccessible(viewer.page, "the view-only share popover");
  const adaLinks = await shareLinks(ada.page);
  check(adaLinks.edit === args.base + session.links.edit, `Ada's edit link ${adaLinks.edit}`);
  check(adaLinks.view === args.base + session.links.view, `Ada's view link ${adaLinks.view}`);
  await shot(ada.page, A, "viewonly-share-editor");

  // A made-up token is refused without a reconnect loop.
  const stranger = await person(browser, "Stranger", "#f76b15");
  await expectRefused(stranger.page, `${args.base}/s/${session.id}?t=not-a-token`, "wrong token");
  await shot(stranger.page, A, "viewonly-wrong-token");
  await checkAccessible(stranger.page, "the access-denied page");
  for (const p of [ada, viewer, stranger]) await p.context.close();
}

async function protectedInstance(browser) {
  const session = await api(
    args.base,
    "POST",
    "/api/sessions",
    { language: "python", title: "Admin only list" },
    ADMIN,
  );
  const admin = await person(browser, "Admin", "#6e56cf");
  const { page } = admin;
  await page.goto(`${args.base}/`);
  await page.waitForSelector('[data-testid="admin-form"]');
  check((await page.$('[data-testid="session-list"]')) === null, "no list without the token");
  check(await isDisabled(page, "new-session"), "no creating without the token");
  await shot(page, A, "protected-admin-form");
  await checkAccessible(page, "the admin token form");

  await page.fill('[data-testid="admin-token-input"]', "wrong");
  await page.press('[data-testid="admin-token-input"]', "Enter");
  await page.waitForSelector('[data-testid="admin-form"] [role="alert"]');
  await page.fill('[data-testid="admin-token-input"]', "x");
  await page.press('[data-testid="admin-token-input"]', "Enter");
  await page.waitForSelector(
    '[data-testid="session-list"] .session-title:has-text("Admin only list")',
  );
  await shot(page, A, "protected-home");

  // The admin opens a session from the list: the server hands the admin its edit link.
  await page.click('.session-title:has-text("Admin only list")');
  await waitForStatus(page, "connected");
  await waitFor("the edit token in the address bar", async () =>
    new URL(page.url()).searchParams.get("t"),
  );
  check((await page.$('[data-testid="view-only-badge"]')) === null, "the admin edits");
  const links = await shareLinks(page);
  check(links.edit && links.view, "the admin can share both links");

  // The token is remembered: a reload of the home page needs no form.
  await page.goto(`${args.base}/`);
  await page.waitForSelector('[data-testid="session-list"]');

  // Someone with the bare session address is told to ask for a link.
  const stranger = await person(browser, "Stranger", "#f76b15");
  await expectRefused(stranger.page, `${args.base}/s/${session.id}`, "no token");
  await shot(stranger.page, A, "protected-needs-link");
  await checkAccessible(stranger.page, "a protected session without its link");
  // With the view link they follow along.
  await stranger.page.goto(links.view);
  await waitForStatus(stranger.page, "connected");
  await stranger.page.waitForSelector('[data-testid="view-only-badge"]');
  await stranger.context.close();
  await admin.context.close();
}

await runScenario(args, { viewonly, protected: protectedInstance });
