import { createHash } from "node:crypto";
import type { Skill } from "../Skill.js";

/** SHA-256 of the input's UTF-8 bytes, as 0x-prefixed hex. */
export const sha256: Skill = {
  name: "sha256",
  description: "Hashes the input (UTF-8) with SHA-256; answers 0x-prefixed hex.",
  deterministic: true,
  run: async (input) => `0x${createHash("sha256").update(input, "utf8").digest("hex")}`,
};
