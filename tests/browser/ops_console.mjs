// Drives the ops console in headless Chromium (Debian's /usr/bin/chromium) with playwright-core:
// opens /ops signed in as user "ops", reads every section, clicks the application's receipt,
// reads its page, follows the link back. Prints what it saw as JSON; the Python test judges it.
//
// Environment: OPS_URL (base URL of intake), OPS_PASSWORD, OPS_RECEIPT (the receipt to click),
// CHROMIUM (default /usr/bin/chromium); OPS_SCREENSHOTS, a directory for screenshots (optional).
import { chromium } from "playwright-core";

const { OPS_URL, OPS_PASSWORD, OPS_RECEIPT } = process.env;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = process.env.OPS_SCREENSHOTS;
const snap = (page, name) => (shots ? page.screenshot({ path: `${shots}/${name}.png`, fullPage: true }) : null);

const browser = await chromium.launch({ executablePath, headless: true });
try {
  const context = await browser.newContext({
    httpCredentials: { username: "ops", password: OPS_PASSWORD },
    javaScriptEnabled: true, // on, so an unescaped <script> from the data would run and show
  });
  const page = await context.newPage();
  const dialogs = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const rows = (section) =>
    page.$$eval(`#${section} tbody tr`, (trs) =>
      trs.map((tr) => Array.from(tr.cells, (td) => td.innerText.trim())),
    );
  const sections = async (names) =>
    Object.fromEntries(await Promise.all(names.map(async (n) => [n, await rows(n)])));

  const first = await page.goto(`${OPS_URL}/ops`);
  const overview = {
    status: first.status(),
    title: await page.title(),
    ...(await sections(["in-flight", "alerts", "backlog", "adapter-health"])),
    healthText: await page.innerText("#adapter-health"),
  };

  await snap(page, "ops");
  const receipt = page.locator("#in-flight a", { hasText: OPS_RECEIPT });
  await Promise.all([page.waitForURL("**/ops/applications/**"), receipt.click()]);
  const application = {
    url: page.url(),
    heading: await page.innerText("h1"),
    ...(await sections(["summary", "subtasks", "alerts", "timeline"])),
    timelineHeaders: await page.$$eval("#timeline thead th", (ths) => ths.map((th) => th.innerText.trim())),
    pwned: await page.evaluate(() => window.pwned ?? null),
  };

  await snap(page, "application");
  await Promise.all([page.waitForURL(`${OPS_URL}/ops`), page.click("text=← all applications in flight")]);
  const back = { url: page.url(), pwned: await page.evaluate(() => window.pwned ?? null) };

  console.log(JSON.stringify({ overview, application, back, dialogs }));
} finally {
  await browser.close();
}
