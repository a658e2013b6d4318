import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from "viem";
import { expect } from "vitest";
import { agentRegistryAbi } from "../../../src/contracts/AgentRegistry.js";
import { guildTestTokenAbi } from "../../../src/contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../../src/contracts/StakedEvaluator.js";
import { configurableTokenAbi } from "../contracts/ConfigurableToken.js";
import { feeOnTransferTokenAbi } from "../contracts/FeeOnTransferToken.js";
import { receiverMockAbi } from "../contracts/ReceiverMock.js";
import { reentrantTokenAbi } from "../contracts/ReentrantToken.js";

/** Every custom error Guild's contracts and the test mocks can raise, so a revert that bubbled up through
 * another contract (a mock's `execute`, a token inside the escrow) still decodes by name. */
const knownErrors: Abi = [
  ...jobEscrowAbi,
  ...stakedEvaluatorAbi,
  ...agentRegistryAbi,
  ...guildTestTokenAbi,
  ...configurableTokenAbi,
  ...feeOnTransferTokenAbi,
  ...receiverMockAbi,
  ...reentrantTokenAbi,
].filter((item) => item.type === "error");

export type DecodedRevert = { errorName: string; args: readonly unknown[] };

function isHex(value: unknown): value is Hex {
  return typeof value === "string" && /^0x[0-9a-fA-F]*$/.test(value);
}

/** The raw revert data carried somewhere in a viem error's `cause` chain, if any. */
export function revertDataOf(error: unknown): Hex | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 20; depth++) {
    if (current instanceof ContractFunctionRevertedError && current.raw && current.raw !== "0x") return current.raw;
    const data = (current as { data?: unknown }).data;
    if (isHex(data) && data.length >= 10) return data;
    if (typeof data === "object" && data !== null && isHex((data as { data?: unknown }).data)) {
      const nested = (data as { data: Hex }).data;
      if (nested.length >= 10) return nested;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Decodes revert data against every known error (custom errors, `Error(string)` and `Panic(uint256)`). */
export function decodeRevert(data: Hex): DecodedRevert {
  const decoded = decodeErrorResult({ abi: knownErrors, data });
  return { errorName: decoded.errorName, args: decoded.args ?? [] };
}

/**
 * Awaits `promise` and asserts it failed with the custom error `errorName` (and, when given, exactly `args`).
 * Works for viem's ContractFunctionExecutionError and for any error whose cause chain carries revert data.
 *
 * @example
 * await expectRevert(escrow.write.fund([jobId, 1n]), "EscrowBudgetMismatch", [jobId, budget, 1n]);
 */
export async function expectRevert(
  promise: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<DecodedRevert> {
  let failure: unknown;
  let failed = false;
  try {
    await promise;
  } catch (error) {
    failure = error;
    failed = true;
  }
  if (!failed) throw new Error(`Expected a revert with ${errorName}, but the call succeeded.`);
  const data = revertDataOf(failure);
  if (!data) {
    const message = failure instanceof BaseError ? failure.shortMessage : String(failure);
    throw new Error(`Expected a revert with ${errorName}, but the failure carried no revert data: ${message}`);
  }
  const decoded = decodeRevert(data);
  expect(decoded.errorName, `revert error name (args ${String(decoded.args)})`).toBe(errorName);
  if (args !== undefined) expect(decoded.args).toEqual(args);
  return decoded;
}
