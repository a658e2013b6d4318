import {
  getAddress,
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
  /** Check window of the staked evaluator for jobs that set none. Default 10 minutes. */
  defaultCheckWindow?: bigint;
  /** Minimum stake for jobs that set none, in basis points of the budget. Default 100 (1%). */
  defaultMinStakeBps?: bigint;
  /** Provider bond for jobs that set none, in basis points of the budget. Default 0. */
  defaultBondBps?: bigint;
  /** Also deploy the mintable 6-decimal test token. Default false. */
  withTestToken?: boolean;
};

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
    defaultMinStakeBps = 100n,
    defaultBondBps = 0n,
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
      args: [escrow, defaultCheckWindow, defaultMinStakeBps, defaultBondBps],
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
