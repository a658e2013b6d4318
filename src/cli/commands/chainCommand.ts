import { connectGuild } from "../../chain/connectGuild.js";
import { ensureEmbeddedChain } from "../../chain/embeddedChain.js";
import { join } from "node:path";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";

/**
 * `guild chain`: starts the embedded Hardhat chain on GUILD_CHAIN_HOST:GUILD_CHAIN_PORT (or finds the one
 * already running), deploys Guild's contracts if they are not there, prints where everything is, and
 * keeps the chain running until Ctrl-C.
 */
export async function chainCommand(ctx: CliContext, { signal }: { signal: AbortSignal }): Promise<number> {
  const { config } = ctx;
  const chain = await ensureEmbeddedChain({
    host: config.chainHost,
    port: config.chainPort,
    logFile: join(config.home, "chain.log"),
    logger: ctx.logger,
  });
  const guild = await connectGuild({
    config: { ...config, rpcUrl: chain.url },
    logger: ctx.logger,
    startEmbeddedChain: false,
  });
  const data = {
    url: chain.url,
    chainId: chain.chainId,
    startedHere: chain.started,
    ...guild.addresses,
    fromBlock: guild.fromBlock,
  };
  ctx.print(
    [
      `${chain.started ? "Started" : "Found"} the local chain at ${chain.url} (chain id ${chain.chainId}).`,
      `  JobEscrow        ${guild.addresses.escrow}`,
      `  StakedEvaluator  ${guild.addresses.evaluator}`,
      `  AgentRegistry    ${guild.addresses.registry}`,
      ...(guild.addresses.testToken ? [`  Test token gUSD  ${guild.addresses.testToken}`] : []),
      chain.started ? "Press Ctrl-C to stop it." : "It was already running; leaving it as it is.",
    ].join("\n"),
    data,
  );
  if (!chain.started) return EXIT.ok;
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  ctx.progress("stopping the chain");
  await chain.stop();
  return EXIT.ok;
}
