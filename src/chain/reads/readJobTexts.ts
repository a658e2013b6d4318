import { numberToHex, pad } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import { readLogs } from "../logs/readLogs.js";
import type { GuildReader } from "../GuildClient.js";

const textEvents = jobEscrowAbi.filter(
  (item) =>
    item.type === "event" &&
    (item.name === "JobDetails" || item.name === "DeliverablePublished" || item.name === "DeclineExplained"),
);

export type JobTexts = {
  /** The job's description, as published at creation. */
  description: string | undefined;
  /** The delivered content, when the provider used `deliver` (the latest, should there be several). */
  content: string | undefined;
  /** The provider's reason, when it declined the job with one (`DeclineExplained`). */
  declined?: string;
};

/**
 * A job's description, delivered content and decline reason, read from its events (the escrow stores neither).
 *
 * @example
 * const { description, content } = await readJobTexts(reader, { jobId: 7n });
 */
export async function readJobTexts(reader: GuildReader, { jobId }: { jobId: bigint }): Promise<JobTexts> {
  const logs = await readLogs(reader.connection.publicClient, {
    address: reader.addresses.escrow,
    events: textEvents,
    topics: [pad(numberToHex(jobId))],
    fromBlock: reader.fromBlock,
    logger: reader.logger,
  });
  let description: string | undefined;
  let content: string | undefined;
  let declined: string | undefined;
  for (const log of logs) {
    if (log.eventName === "JobDetails") description = log.args.description;
    else if (log.eventName === "DeliverablePublished") content = log.args.content;
    else if (log.eventName === "DeclineExplained") declined = log.args.why;
  }
  return { description, content, ...(declined === undefined ? {} : { declined }) };
}
