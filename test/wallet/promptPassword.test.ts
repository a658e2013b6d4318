import { PassThrough } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { PasswordPromptCancelledError } from "../../src/errors/wallet.js";
import { promptPassword } from "../../src/wallet/promptPassword.js";

function capture() {
  const output = new PassThrough();
  let written = "";
  output.on("data", (chunk: Buffer) => {
    written += chunk.toString();
  });
  return { output, written: () => written };
}

describe("promptPassword", () => {
  for (const terminal of [true, false]) {
    it(`reads a line without echoing it (terminal: ${terminal})`, async () => {
      const input = new PassThrough();
      const { output, written } = capture();
      const answer = promptPassword("Password: ", { input, output, terminal });
      input.write("s3cret-typed");
      input.write(terminal ? "\r" : "\n");
      await expect(answer).resolves.toBe("s3cret-typed");
      await new Promise((resolve) => setImmediate(resolve));
      const visible = stripVTControlCharacters(written());
      expect(visible).toBe("Password: \n");
      expect(written()).not.toContain("s3cret");
    });
  }

  it("rejects with PasswordPromptCancelledError at end of input", async () => {
    const input = new PassThrough();
    const { output } = capture();
    const answer = promptPassword("Password: ", { input, output, terminal: false });
    input.end();
    await expect(answer).rejects.toBeInstanceOf(PasswordPromptCancelledError);
  });

  it("rejects with PasswordPromptCancelledError on Ctrl-C in a terminal", async () => {
    const input = new PassThrough();
    const { output, written } = capture();
    const answer = promptPassword("Password: ", { input, output, terminal: true });
    input.write("half-typed");
    input.write("\x03");
    await expect(answer).rejects.toBeInstanceOf(PasswordPromptCancelledError);
    expect(written()).not.toContain("half-typed");
  });
});
