// Drives headless Chromium through GraphiQL: open the page, type an operation into the editor,
// run it, and report what the page shows. Called by test_graphiql_browser.py.
//
//   node graphiql_check.mjs <graphiql url> <operation file> <screenshot path> <user data dir>
//
// Uses playwright-core (no browser download) with the system's Chromium (CHROMIUM, default
// /usr/bin/chromium); PLAYWRIGHT_DIR is the folder whose node_modules holds playwright-core.
// Prints one JSON object on stdout.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [url, operationFile, screenshot, userDataDir] = process.argv.slice(2);
const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR, "package.json"));
const { chromium } = require("playwright-core");
const operation = readFileSync(operationFile, "utf8");

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1400, height: 900 },
});
const result = { requests: [], consoleErrors: [], pageErrors: [] };
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on("request", (request) => {
    result.requests.push(request.url());
    if (request.method() === "POST") {
      result.postedAuthorization = request.headers()["authorization"] || null;
    }
  });
  page.on("console", (message) => {
    if (message.type() === "error") result.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => result.pageErrors.push(String(error)));

  const response = await page.goto(url, { waitUntil: "load" });
  result.status = response.status();
  result.contentType = response.headers()["content-type"] || "";
  result.title = await page.title();

  // GraphiQL rendered: its query editor exists.
  const editor = page.locator(".graphiql-query-editor .CodeMirror");
  await editor.waitFor({ state: "visible", timeout: 20000 });

  // Type the operation as a person pasting it: focus the editor, select all, insert the text
  // (insertText bypasses CodeMirror's bracket auto-closing, which would mangle typed braces).
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(operation);
  result.editorText = await page.evaluate(
    () => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue(),
  );

  // An authenticated caller puts its token in GraphiQL's Headers editor, as a person would.
  if (process.env.AUTHORIZATION) {
    await page.getByText("Headers", { exact: true }).click();
    const headers = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror");
    await headers.waitFor({ state: "visible", timeout: 10000 });
    await headers.click();
    await page.keyboard.insertText(JSON.stringify({ Authorization: process.env.AUTHORIZATION }));
  }

  await page.locator("button.graphiql-execute-button").click();
  const output = page.locator(".graphiql-response .CodeMirror");
  await page.waitForFunction(
    () => {
      const cm = document.querySelector(".graphiql-response .CodeMirror");
      return cm && cm.CodeMirror && cm.CodeMirror.getValue().includes('"data"');
    },
    null,
    { timeout: 20000 },
  );
  result.responseText = await page.evaluate(
    () => document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue(),
  );
  // What a person sees: the rendered lines of the result pane.
  result.visibleResponse = await output.innerText();
  await page.screenshot({ path: screenshot });
} catch (error) {
  result.error = String(error && error.stack ? error.stack : error);
} finally {
  await context.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
