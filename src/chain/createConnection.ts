import {
  createPublicClient,
  custom,
  defineChain,
  http,
  type Chain,
  type EIP1193Provider,
  type PublicClient,
  type Transport,
} from "viem";
import { RpcUnavailableError } from "../errors/transaction.js";
import { isDevChain as isDevChainId } from "../wallet/devAccounts.js";

/** A connection to one EVM chain: the transport, a public client, and what we know about the chain. */
export type ChainConnection = {
  chainId: number;
  chain: Chain;
  transport: Transport;
  publicClient: PublicClient<Transport, Chain>;
  /** Local development chain: automining, funded dev accounts, fast polling. */
  isDevChain: boolean;
  /** RPC URL, when connected over HTTP. */
  url: string | undefined;
  /** How often to poll for receipts and new blocks, in milliseconds. */
  pollingIntervalMs: number;
};

export type CreateConnectionParameters =
  | { url: string; provider?: undefined; pollingIntervalMs?: number }
  | { provider: EIP1193Provider; url?: undefined; pollingIntervalMs?: number };

/**
 * Connects to a chain over HTTP (any EVM node) or an in-process EIP-1193 provider, and asks its chain id.
 * Throws {@link RpcUnavailableError} when nothing answers.
 *
 * @example
 * const connection = await createConnection({ url: "http://127.0.0.1:8545" });
 */
export async function createConnection(params: CreateConnectionParameters): Promise<ChainConnection> {
  const transport: Transport = params.url
    ? // Retries here cover one request; the transaction sender adds its own recovery on top.
      http(params.url, { retryCount: 3, retryDelay: 100, timeout: 30_000 })
    : custom(params.provider as EIP1193Provider, { retryCount: 0 });
  const probe = createPublicClient({ transport });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (error) {
    throw new RpcUnavailableError("asking for its chain id", { cause: error });
  }
  const isDevChain = isDevChainId(chainId);
  const pollingIntervalMs = params.pollingIntervalMs ?? (isDevChain ? 50 : 2_000);
  const chain = defineChain({
    id: chainId,
    name: isDevChain ? "Local development chain" : `Chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: params.url ? [params.url] : [] } },
  });
  // cacheTime 0: viem otherwise answers getBlockNumber from a cache as old as the polling interval, and
  // "the latest block" must mean the latest (a spend or a log mined a moment ago counts).
  const publicClient = createPublicClient({ chain, transport, pollingInterval: pollingIntervalMs, cacheTime: 0 });
  return { chainId, chain, transport, publicClient, isDevChain, url: params.url, pollingIntervalMs };
}
