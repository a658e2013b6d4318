import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from "viem";
import { GuildError } from "../../errors/GuildError.js";
import { ContractRevertedError, InsufficientFundsError, RpcUnavailableError } from "../../errors/transaction.js";
import { agentRegistryAbi } from "../../contracts/AgentRegistry.js";
import { guildTestTokenAbi } from "../../contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import { describeContractError } from "../contractErrorMessages.js";
import { classifyRpcError } from "./classifyRpcError.js";

/** Every custom error any Guild contract (or a token it calls) can revert with. */
const ALL_ERRORS = [...jobEscrowAbi, ...stakedEvaluatorAbi, ...agentRegistryAbi, ...guildTestTokenAbi].filter(
  (item) => item.type === "error",
) as Abi;

/**
 * Turns what viem threw during a simulation or a send into one of Guild's typed errors: a
 * {@link ContractRevertedError} naming the contract error and its arguments, an
 * {@link InsufficientFundsError}, an {@link RpcUnavailableError}, or a {@link GuildError}.
 */
export function toGuildError(
  error: unknown,
  context: { contract: string; functionName: string; account: `0x${string}`; label: string },
): GuildError {
  if (error instanceof GuildError) return error;
  if (error instanceof BaseError) {
    const reverted = error.walk(
      (e) => e instanceof ContractFunctionRevertedError,
    ) as ContractFunctionRevertedError | null;
    if (reverted) {
      let errorName = reverted.data?.errorName;
      let errorArgs: readonly unknown[] = reverted.data?.args ?? [];
      if (!errorName && reverted.raw) {
        const decoded = decodeAny(reverted.raw);
        if (decoded) ({ errorName, errorArgs } = decoded);
      }
      const sentence = errorName
        ? describeContractError(errorName, errorArgs)
        : reverted.reason
          ? `The contract reverted: ${reverted.reason}.`
          : describeContractError(undefined, []);
      return new ContractRevertedError(
        { contract: context.contract, functionName: context.functionName, errorName, errorArgs },
        `${context.label} would fail: ${sentence}`,
        {
          cause: error,
          metaMessages: errorName
            ? [
                `${context.contract}.${context.functionName} reverts with ${errorName}(${errorArgs.map(String).join(", ")}).`,
              ]
            : [],
        },
      );
    }
  }
  const kind = classifyRpcError(error);
  if (kind === "insufficient-funds")
    return new InsufficientFundsError(context.account, context.label, { cause: error });
  if (kind === "transient") return new RpcUnavailableError(`preparing "${context.label}"`, { cause: error });
  const short =
    error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  return new GuildError(`${context.label} failed: ${short}`, { cause: error });
}

function decodeAny(raw: Hex): { errorName: string; errorArgs: readonly unknown[] } | undefined {
  try {
    const decoded = decodeErrorResult({ abi: ALL_ERRORS, data: raw });
    return { errorName: decoded.errorName, errorArgs: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}
