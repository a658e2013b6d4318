import {
  createPublicClient,
  createWalletClient,
  defineChain,
  formatEther,
  formatUnits,
  http,
  type Address,
  type BaseError,
  type Hash,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { guildTestTokenAbi } from "../contracts/GuildTestToken.js";
import { FundingError, FundingRequiredError } from "../errors/wallet.js";
import { silentLogger, type Logger } from "../log/createLogger.js";
import { DEV_ACCOUNT_KEYS, DEV_MNEMONIC, isDevChain } from "./devAccounts.js";

/** Native balance agents are topped up to by default: plenty of gas on a local chain. */
export const DEFAULT_NATIVE_TARGET = 10n ** 18n;

export type FundFromDevAccountParameters = {
  /** JSON-RPC URL of the chain. */
  rpcUrl: string;
  /** The agent wallet to fund. */
  address: Address;
  /** Native balance (wei) to top up to. Default 1 ETH. */
  nativeTarget?: bigint;
  /** Also top up a token balance (base units); on dev chains by calling the test token's open `mint`. */
  token?: { address: Address; target: bigint };
  /** Which dev account pays, 0-9. Default 0. */
  devAccountIndex?: number;
  logger?: Logger;
};

export type FundFromDevAccountReturnType = {
  chainId: number;
  /** The dev account that paid; undefined when nothing had to be sent. */
  funder: Address | undefined;
  nativeSent: bigint;
  nativeBalance: bigint;
  tokenMinted: bigint;
  /** Token balance after funding; undefined when no token was asked for. */
  tokenBalance: bigint | undefined;
  transactions: Hash[];
};

// Funding transactions of one process to one node go one at a time, so each takes the node's next nonce.
const queues = new Map<string, Promise<unknown>>();

/**
 * Tops up an agent wallet to `nativeTarget` (and optionally a test-token balance) from a well-known dev
 * account, on local dev chains only (chain id 31337 or 1337: Hardhat node, Anvil). Idempotent: a wallet that
 * already has enough gets nothing.
 *
 * On any other chain nothing is sent: if the wallet is short, it throws {@link FundingRequiredError} saying
 * the address, the chain id and how to fund it. Throws {@link FundingError} when the dev account has no
 * funds (a node not started from the standard mnemonic) or a transfer fails.
 *
 * @example
 * const { address } = await createWallet({ home, name: "alice", password });
 * await fundFromDevAccount({ rpcUrl: "http://127.0.0.1:8545", address, token: { address: token, target: 1_000_000_000n } });
 */
export async function fundFromDevAccount(
  parameters: FundFromDevAccountParameters,
): Promise<FundFromDevAccountReturnType> {
  const key = `${parameters.rpcUrl} ${parameters.devAccountIndex ?? 0}`;
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() => fund(parameters));
  queues.set(key, run);
  try {
    return await run;
  } finally {
    if (queues.get(key) === run) queues.delete(key);
  }
}

async function fund({
  rpcUrl,
  address,
  nativeTarget = DEFAULT_NATIVE_TARGET,
  token,
  devAccountIndex = 0,
  logger = silentLogger(),
}: FundFromDevAccountParameters): Promise<FundFromDevAccountReturnType> {
  const log = logger.child({ module: "wallet/fundFromDevAccount" });
  const probe = createPublicClient({ transport: http(rpcUrl) });
  const chainId = await probe.getChainId();
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl) });

  const nativeBalance = await publicClient.getBalance({ address });
  const nativeShort = nativeBalance < nativeTarget ? nativeTarget - nativeBalance : 0n;
  const tokenBalance = token ? await readTokenBalance(publicClient, token.address, address, chainId) : undefined;
  const tokenShort =
    token && tokenBalance !== undefined && tokenBalance < token.target ? token.target - tokenBalance : 0n;
  const result: FundFromDevAccountReturnType = {
    chainId,
    funder: undefined,
    nativeSent: 0n,
    nativeBalance,
    tokenMinted: 0n,
    tokenBalance,
    transactions: [],
  };
  if (nativeShort === 0n && tokenShort === 0n) {
    log.debug({ address, chainId, nativeBalance: nativeBalance.toString() }, "wallet already funded");
    return result;
  }

  if (!isDevChain(chainId)) {
    const needs: string[] = [];
    const how: string[] = [];
    if (nativeShort > 0n) {
      needs.push(`a native balance of ${formatEther(nativeTarget)} for gas (has ${formatEther(nativeBalance)})`);
      how.push(
        `Send at least ${formatEther(nativeShort)} of chain ${chainId}'s native token (ETH on Ethereum and its L2s) to ${address} from a wallet you control, or withdraw it there from an exchange.`,
      );
    }
    if (token && tokenShort > 0n) {
      const units = await tokenUnits(publicClient, token.address);
      needs.push(`${units(token.target)} of token ${token.address} (has ${units(tokenBalance ?? 0n)})`);
      how.push(
        `Send at least ${units(tokenShort)} of token ${token.address} to ${address}. Outside dev chains the payment token cannot be minted by Guild: buy or bridge it, or mint it yourself if you own that token.`,
      );
    }
    throw new FundingRequiredError(address, chainId, needs, how);
  }

  const devKey = DEV_ACCOUNT_KEYS[devAccountIndex];
  if (devKey === undefined) {
    throw new FundingError(`There is no dev account ${devAccountIndex}; use 0 to ${DEV_ACCOUNT_KEYS.length - 1}.`);
  }
  const funder = privateKeyToAccount(devKey);
  result.funder = funder.address;
  const wallet = createWalletClient({ account: funder, chain, transport: http(rpcUrl) });

  if (nativeShort > 0n) {
    const funderBalance = await publicClient.getBalance({ address: funder.address });
    if (funderBalance <= nativeShort) {
      throw new FundingError(
        `Dev account ${funder.address} has ${formatEther(funderBalance)} ETH on chain ${chainId}, not enough to send ${formatEther(nativeShort)} to ${address}.`,
        {
          metaMessages: [
            `Guild funds agents from the standard dev accounts ("${DEV_MNEMONIC}"). Start the node with that mnemonic (the default of Hardhat node and Anvil), or fund ${address} yourself.`,
          ],
        },
      );
    }
    const hash = await send(`send ${formatEther(nativeShort)} ETH to ${address}`, chainId, () =>
      wallet.sendTransaction({ to: address, value: nativeShort }),
    );
    await confirm(publicClient, hash, chainId, `sending ETH to ${address}`);
    result.transactions.push(hash);
    result.nativeSent = nativeShort;
    result.nativeBalance = nativeBalance + nativeShort;
    log.info(
      { address, chainId, funder: funder.address, amount: nativeShort.toString(), txHash: hash },
      "funded agent wallet from dev account",
    );
  }

  if (token && tokenShort > 0n) {
    const hash = await send(`mint ${tokenShort} base units of token ${token.address} to ${address}`, chainId, () =>
      wallet.writeContract({
        address: token.address,
        abi: guildTestTokenAbi,
        functionName: "mint",
        args: [address, tokenShort],
      }),
    );
    await confirm(publicClient, hash, chainId, `minting token ${token.address} to ${address}`);
    result.transactions.push(hash);
    result.tokenMinted = tokenShort;
    result.tokenBalance = (tokenBalance ?? 0n) + tokenShort;
    log.info(
      { address, chainId, token: token.address, amount: tokenShort.toString(), txHash: hash },
      "minted test tokens to agent wallet",
    );
  }
  return result;
}

async function readTokenBalance(
  publicClient: PublicClient,
  token: Address,
  owner: Address,
  chainId: number,
): Promise<bigint> {
  try {
    return await publicClient.readContract({
      address: token,
      abi: guildTestTokenAbi,
      functionName: "balanceOf",
      args: [owner],
    });
  } catch (error) {
    throw new FundingError(`Could not read the balance of token ${token} on chain ${chainId}.`, {
      cause: error,
      details: (error as BaseError).shortMessage ?? String(error),
      metaMessages: [
        "Check the token address (GUILD_TOKEN_ADDRESS or the deployments file): is an ERC-20 deployed there on this chain?",
      ],
    });
  }
}

async function send(what: string, chainId: number, action: () => Promise<Hash>): Promise<Hash> {
  try {
    return await action();
  } catch (error) {
    throw new FundingError(`Could not ${what} on dev chain ${chainId}.`, {
      cause: error,
      details: (error as BaseError).shortMessage ?? (error instanceof Error ? error.message : String(error)),
      metaMessages: [
        "Is the token address a GuildTestToken (open mint) deployed on this chain? Is the node still running?",
      ],
    });
  }
}

async function confirm(publicClient: PublicClient, hash: Hash, chainId: number, what: string): Promise<void> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new FundingError(`Transaction ${hash} ${what} reverted on chain ${chainId}.`);
  }
}

async function tokenUnits(publicClient: PublicClient, tokenAddress: Address): Promise<(amount: bigint) => string> {
  try {
    const [decimals, symbol] = await Promise.all([
      publicClient.readContract({ address: tokenAddress, abi: guildTestTokenAbi, functionName: "decimals" }),
      publicClient.readContract({ address: tokenAddress, abi: guildTestTokenAbi, functionName: "symbol" }),
    ]);
    return (amount) => `${formatUnits(amount, decimals)} ${symbol}`;
  } catch {
    return (amount) => `${amount} base units`;
  }
}
