import { isAddressEqual, keccak256, toBytes, zeroAddress, type Address, type Hash } from "viem";
import { agentRegistryAbi } from "../../contracts/AgentRegistry.js";
import { InvalidInputError } from "../../errors/input.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

export type RegisterAgentParameters = {
  name: string;
  skills: string[];
  /** Price per job in base units of `priceToken` (`address(0)`, the default, for native currency). */
  price: bigint;
  priceToken?: Address;
  metadataURI?: string;
};

/**
 * Lists this agent in the registry, idempotently: registers it the first time, updates it when the
 * listing differs, and sends nothing when the chain already shows the same listing (active, same name,
 * price and skills; metadata is not compared). A name belongs to one agent: one another agent holds is
 * refused before anything is sent ({@link InvalidInputError} on `name`).
 *
 * @example
 * await registerAgent(bob, { name: "bob", skills: ["word-count"], price: parseEther("0.001") });
 */
export async function registerAgent(
  client: GuildClient,
  { name, skills, price, priceToken = zeroAddress, metadataURI = "" }: RegisterAgentParameters,
): Promise<{ hash: Hash | undefined; action: "registered" | "updated" | "unchanged" }> {
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)) {
    throw new InvalidInputError(
      "name",
      `"${name}" is not a valid agent name`,
      "Use up to 32 lowercase letters, digits, - or _.",
    );
  }
  const normalized = [...new Set(skills.map((skill) => skill.trim().toLowerCase()))].filter(Boolean);
  if (normalized.length === 0)
    throw new InvalidInputError("skills", "none given", "List at least one skill, e.g. word-count.");
  const registry = { address: client.addresses.registry, abi: agentRegistryAbi } as const;
  const publicClient = client.connection.publicClient;
  const [[registered, active, currentToken, currentPrice, currentSkills], nameOwner] = await Promise.all([
    publicClient.readContract({ ...registry, functionName: "getAgent", args: [client.account.address] }),
    publicClient.readContract({ ...registry, functionName: "agentByName", args: [name] }),
  ]);
  if (nameOwner !== zeroAddress && !isAddressEqual(nameOwner, client.account.address)) {
    throw new InvalidInputError(
      "name",
      `the registry name "${name}" belongs to another agent (${nameOwner})`,
      "Choose another name for this agent.",
    );
  }
  const wanted = normalized.map((skill) => keccak256(toBytes(skill)));
  const same =
    registered &&
    active &&
    nameOwner !== zeroAddress &&
    currentToken.toLowerCase() === priceToken.toLowerCase() &&
    currentPrice === price &&
    currentSkills.length === wanted.length &&
    wanted.every((hash) => currentSkills.includes(hash));
  if (same) return { hash: undefined, action: "unchanged" };
  const receipt = await writeContract(client, {
    address: client.addresses.registry,
    abi: agentRegistryAbi,
    functionName: registered ? "update" : "register",
    args: [name, normalized, priceToken, price, metadataURI],
    contract: "AgentRegistry",
    label: `${registered ? "update" : "register"} agent ${name}`,
  });
  const action = registered ? "updated" : "registered";
  client.logger.info(
    { txHash: receipt.transactionHash, name, skills: normalized, price: price.toString() },
    `agent ${action}`,
  );
  return { hash: receipt.transactionHash, action };
}
