import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Hash } from "viem";

/**
 * Hashes of the direct native payments an agent sent. Native transfers leave no log, so the guard keeps
 * their hashes and reads value and time back from the chain: the figures are the chain's, the file
 * only says where to look. One JSON line per payment; append-only.
 */
export type NativePaymentLedger = {
  record: (hash: Hash) => void;
  hashes: () => Hash[];
};

export function fileNativePaymentLedger(path: string): NativePaymentLedger {
  return {
    record(hash) {
      mkdirSync(dirname(path), { recursive: true });
      appendFileSync(path, `${JSON.stringify({ hash })}\n`);
    },
    hashes() {
      let text = "";
      try {
        text = readFileSync(path, "utf8");
      } catch {
        return [];
      }
      return text
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { hash: Hash }).hash);
    },
  };
}

export function memoryNativePaymentLedger(): NativePaymentLedger {
  const list: Hash[] = [];
  return { record: (hash) => void list.push(hash), hashes: () => [...list] };
}
