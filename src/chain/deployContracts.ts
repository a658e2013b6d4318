import {
  getAddress,
  zeroAddress,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { agentRegistryAbi, agentRegistryBytecode } from "../contracts/AgentRegistry.js";
import { guildTestTokenAbi, guildTestTokenBytecode } from "../contracts/GuildTestToken.js";
import { jobEscrowAbi, jobEscrowBytecode } from "../contracts/JobEscrow.js";
import { stakedEvaluatorAbi, stakedEvaluatorBytecode } from "../contracts/StakedEvaluator.js";

/** Addresses of one deployment of Guild's contracts on one chain. */
export type GuildAddresses = {
  escrow: Address;
  evaluator: Address;
  registry: Address;
  /** The test stablecoin; only deployed on development chains. */
  testToken?: Address;
};

export type DeployContractsParameters = {
  /** Seconds an evaluator has after submission for jobs that set none. Default 1 day. */
  defaultEvaluationPeriod?: bigint;
  /** First check window of the staked evaluator for jobs that set none. Default 10 minutes. */
  defaultCheckWindow?: bigint;
  /** Seconds the outbid side has to answer a change of lead, for jobs that set none. Default 5 minutes. */
  defaultResponsePeriod?: bigint;
  /** Changes of lead a check allows, for jobs that set none. Default 4. */
  defaultMaxFlips?: bigint;
  /**
   * Shortest response (and arbitration) period any job may set, and the seconds every check leaves between
   * its latest end and the client's refund. Default {@link PUBLIC_CHECK_LIMITS}; dev chains, whose demo and
   * tests run checks of a few seconds, use {@link DEV_CHECK_LIMITS}.
   */
  checkLimits?: CheckLimits;
  /** Minimum stake for jobs that set none, in basis points of the budget. Default 100 (1%). */
  defaultMinStakeBps?: bigint;
  /** Provider bond for jobs that set none, in basis points of the budget. Default 0. */
  defaultBondBps?: bigint;
  /** Also deploy the mintable 6-decimal test token. Default false. */
  withTestToken?: boolean;
};

/** Deployment-wide floors of the staked evaluator's timing (see {@link DeployContractsParameters}). */
export type CheckLimits = { minResponsePeriod: bigint; minSettleMargin: bigint };

/** For public chains: a response period of at least 5 minutes, 5 minutes to settle before a refund. */
export const PUBLIC_CHECK_LIMITS: CheckLimits = { minResponsePeriod: 300n, minSettleMargin: 300n };

/** For dev chains, where the demo and the tests run checks of a few seconds. */
export const DEV_CHECK_LIMITS: CheckLimits = { minResponsePeriod: 1n, minSettleMargin: 1n };

export type DeployContractsReturnType = GuildAddresses & {
  /** Deployment transactions, in order. */
  transactions: Hash[];
  /** Block of the first deployment transaction: where log readers start. */
  fromBlock: bigint;
};

/**
 * Deploys JobEscrow, StakedEvaluator and AgentRegistry (and optionally the test token), waiting for each.
 *
 * @example
 * const addresses = await deployContracts(wallet, publicClient, { withTestToken: true });
 */
export async function deployContracts(
  wallet: WalletClient<Transport, Chain | undefined, Account>,
  publicClient: PublicClient,
  {
    defaultEvaluationPeriod = 86_400n,
    defaultCheckWindow = 600n,
    defaultResponsePeriod = 300n,
    defaultMaxFlips = 4n,
    defaultMinStakeBps = 100n,
    defaultBondBps = 0n,
    checkLimits = PUBLIC_CHECK_LIMITS,
    withTestToken = false,
  }: DeployContractsParameters = {},
): Promise<DeployContractsReturnType> {
  const transactions: Hash[] = [];
  let fromBlock: bigint | undefined;
  const deployed = async (hash: Hash): Promise<Address> => {
    transactions.push(hash);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    fromBlock ??= receipt.blockNumber;
    if (receipt.status !== "success" || !receipt.contractAddress) {
      throw new Error(`Deployment transaction ${hash} reverted.`);
    }
    return getAddress(receipt.contractAddress);
  };
  const chain = wallet.chain ?? null;

  const escrow = await deployed(
    await wallet.deployContract({
      abi: jobEscrowAbi,
      bytecode: jobEscrowBytecode,
      args: [defaultEvaluationPeriod],
      chain,
    }),
  );
  const evaluator = await deployed(
    await wallet.deployContract({
      abi: stakedEvaluatorAbi,
      bytecode: stakedEvaluatorBytecode,
      args: [
        escrow,
        {
          window: defaultCheckWindow,
          responsePeriod: defaultResponsePeriod,
          maxFlips: defaultMaxFlips,
          minStakeBps: defaultMinStakeBps,
          bondBps: defaultBondBps,
          arbiter: zeroAddress,
          escalationBps: 0n,
          arbitrationPeriod: 0n,
        },
        checkLimits.minResponsePeriod,
        checkLimits.minSettleMargin,
      ],
      chain,
    }),
  );
  const registry = await deployed(
    await wallet.deployContract({ abi: agentRegistryAbi, bytecode: agentRegistryBytecode, chain }),
  );
  const testToken = withTestToken
    ? await deployed(await wallet.deployContract({ abi: guildTestTokenAbi, bytecode: guildTestTokenBytecode, chain }))
    : undefined;
  return {
    escrow,
    evaluator,
    registry,
    ...(testToken ? { testToken } : {}),
    transactions,
    fromBlock: fromBlock ?? 0n,
  };
}
