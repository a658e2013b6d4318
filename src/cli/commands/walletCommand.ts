import { walletAddress, walletFund, walletImport, walletList, walletNew } from "../../wallet/walletCommands.js";
import { promptPassword } from "../../wallet/promptPassword.js";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";
import { formatTable } from "../formatTable.js";

const prompt = () => (process.stdin.isTTY ? { promptPassword } : {});

export async function walletNewCommand(ctx: CliContext, name: string): Promise<number> {
  const wallet = await walletNew({
    config: ctx.config,
    logger: ctx.logger,
    name,
    scryptN: ctx.config.keystoreScryptN,
    ...prompt(),
  });
  ctx.print(`Created wallet ${wallet.name}: ${wallet.address} (${wallet.file}).`, wallet);
  return EXIT.ok;
}

export async function walletImportCommand(ctx: CliContext, name: string): Promise<number> {
  const wallet = await walletImport({
    config: ctx.config,
    logger: ctx.logger,
    name,
    scryptN: ctx.config.keystoreScryptN,
    ...prompt(),
  });
  ctx.print(`Imported wallet ${wallet.name}: ${wallet.address} (${wallet.file}).`, wallet);
  return EXIT.ok;
}

export async function walletListCommand(ctx: CliContext): Promise<number> {
  const wallets = await walletList({ config: ctx.config, logger: ctx.logger });
  ctx.print(
    wallets.length === 0
      ? "No wallets yet: `guild wallet new <name>` creates one."
      : formatTable(
          ["name", "address"],
          wallets.map((w) => [w.name, w.address]),
        ),
    wallets,
  );
  return EXIT.ok;
}

export async function walletAddressCommand(ctx: CliContext, name: string): Promise<number> {
  const wallet = await walletAddress({ config: ctx.config, logger: ctx.logger, name });
  ctx.print(wallet.address, wallet);
  return EXIT.ok;
}

export async function walletFundCommand(ctx: CliContext, name: string): Promise<number> {
  const rpcUrl = ctx.config.rpcUrl ?? `http://${ctx.config.chainHost}:${ctx.config.chainPort}`;
  const result = await walletFund({ config: ctx.config, logger: ctx.logger, name, rpcUrl });
  ctx.print(`Funded ${name}: ${result.transactions.length} transaction(s).`, result);
  return EXIT.ok;
}
