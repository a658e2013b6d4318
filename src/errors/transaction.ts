import type { Address, Hash } from "viem";
import { GuildError, type GuildErrorOptions } from "./GuildError.js";

/** A contract call would revert (found by simulation, before any gas was spent) or did revert. */
export class ContractRevertedError extends GuildError {
  override name = "ContractRevertedError";
  readonly contract: string;
  readonly functionName: string;
  /** The Solidity custom error, e.g. "EscrowJobNotFound"; undefined for a bare revert. */
  readonly errorName: string | undefined;
  readonly errorArgs: readonly unknown[];

  constructor(
    params: { contract: string; functionName: string; errorName: string | undefined; errorArgs: readonly unknown[] },
    message: string,
    options: GuildErrorOptions = {},
  ) {
    super(message, options);
    this.contract = params.contract;
    this.functionName = params.functionName;
    this.errorName = params.errorName;
    this.errorArgs = params.errorArgs;
  }
}

/** A transaction was mined but reverted (gas was spent). */
export class TransactionRevertedError extends GuildError {
  override name = "TransactionRevertedError";
  readonly hash: Hash;

  constructor(hash: Hash, what: string, options: GuildErrorOptions = {}) {
    super(`Transaction ${hash} (${what}) was mined but reverted.`, options);
    this.hash = hash;
  }
}

/** No receipt arrived in time. The transaction may still be mined later: look it up by hash. */
export class TransactionTimeoutError extends GuildError {
  override name = "TransactionTimeoutError";
  readonly hash: Hash;

  constructor(hash: Hash, timeoutMs: number, options: GuildErrorOptions = {}) {
    super(
      `No receipt for transaction ${hash} after ${Math.round(timeoutMs / 1000)} s. It may still be mined; check it by hash before sending it again.`,
      options,
    );
    this.hash = hash;
  }
}

/** The JSON-RPC node did not answer (down, unreachable, or timing out). */
export class RpcUnavailableError extends GuildError {
  override name = "RpcUnavailableError";

  constructor(what: string, options: GuildErrorOptions = {}) {
    super(
      `The chain node did not answer while ${what}. Is it running? Check GUILD_RPC_URL, or start the local chain with "guild chain".`,
      options,
    );
  }
}

/** The account cannot pay for the transaction's value plus gas. */
export class InsufficientFundsError extends GuildError {
  override name = "InsufficientFundsError";
  readonly address: Address;

  constructor(address: Address, what: string, options: GuildErrorOptions = {}) {
    super(
      `Account ${address} has too little native currency for ${what} (value plus gas). Fund it and try again.`,
      options,
    );
    this.address = address;
  }
}

/** Guild's contracts are not deployed on the configured chain (or the recorded addresses hold no code). */
export class ContractsNotDeployedError extends GuildError {
  override name = "ContractsNotDeployedError";
  readonly chainId: number;

  constructor(chainId: number, problem: string) {
    super(
      `Guild's contracts are not deployed on chain ${chainId}: ${problem}. Run "guild deploy" to deploy them to this chain, or set GUILD_ESCROW_ADDRESS, GUILD_EVALUATOR_ADDRESS and GUILD_REGISTRY_ADDRESS.`,
    );
    this.chainId = chainId;
  }
}
