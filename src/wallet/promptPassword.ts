import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { PasswordPromptCancelledError } from "../errors/wallet.js";
import { registerSecret } from "../log/secrets.js";

/** The seam every password consumer takes: show `message`, return what the person typed. */
export type PromptPassword = (message: string) => Promise<string>;

export type PromptPasswordOptions = {
  /** Default process.stdin. */
  input?: NodeJS.ReadableStream;
  /** Where the prompt goes; default process.stderr, so stdout stays free for command output. */
  output?: NodeJS.WritableStream;
  /** Treat `input` as a terminal (raw mode, line editing). Default: whether `input` is a TTY. */
  terminal?: boolean;
};

/**
 * Asks for a password on the terminal without echoing it: the prompt is written, then readline's output is
 * muted until Enter. Piped input (not a TTY) is read as one line. The answer is registered as a secret.
 * Rejects with `PasswordPromptCancelledError` on Ctrl-C or end of input.
 *
 * @example
 * const { account } = await loadAccount({ config, name: "alice", promptPassword });
 * // or directly:
 * const password = await promptPassword("Password for wallet \"alice\": ");
 */
export function promptPassword(message: string, options: PromptPasswordOptions = {}): Promise<string> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  const terminal = options.terminal ?? Boolean((input as { isTTY?: boolean }).isTTY);
  let muted = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void) {
      if (!muted) output.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input, output: sink, terminal, historySize: 0 });

  return new Promise<string>((resolve, reject) => {
    let answered = false;
    const cancel = () => {
      if (answered) return;
      answered = true;
      muted = false;
      output.write("\n");
      rl.close();
      reject(new PasswordPromptCancelledError("Password prompt cancelled; nothing was done."));
    };
    rl.on("SIGINT", cancel);
    rl.on("close", cancel);
    rl.question(message, (answer) => {
      answered = true;
      registerSecret(answer);
      muted = false;
      output.write("\n"); // the Enter key was muted with the rest
      rl.close();
      resolve(answer);
    });
    // question() wrote the prompt synchronously; from here on nothing typed is echoed.
    muted = true;
  });
}
