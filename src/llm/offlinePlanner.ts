import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
  type BindToolsInput,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { planNextStep } from "./planTask.js";

export type OfflinePlannerParams = BaseChatModelParams & {
  /** Names of the tools the planner may call; normally set by {@link OfflinePlanner.bindTools}. */
  toolNames?: readonly string[];
};

/** The name the planner reports as its model, in response metadata and traces. */
export const OFFLINE_MODEL_NAME = "guild-offline-planner";

/**
 * A deterministic planner behind LangChain's chat-model interface, used when no LLM is configured. It reads the
 * conversation (the first human message is the task; AI tool calls and tool results are the history) and answers with
 * an `AIMessage` carrying the next tool call, or a final plain-text answer. The task grammar is in `parseTask.ts`,
 * the plans in `planTask.ts`.
 *
 * It behaves like `ChatOpenAI` for an agent loop: `bindTools(tools)` returns a model whose `invoke(messages)` emits
 * real `tool_calls` (`{ id, name, args, type: "tool_call" }`), and only for tools that were bound. It never follows
 * instructions found in tool results: job inputs and deliverables are data.
 *
 * @example
 * const model = new OfflinePlanner().bindTools(tools);
 * const reply = await model.invoke([new HumanMessage("Report spending")]);
 * reply.tool_calls; // [{ id: "offline_0_spending_report", name: "spending_report", args: {}, type: "tool_call" }]
 */
export class OfflinePlanner extends BaseChatModel {
  /** Tools bound with {@link bindTools}; empty until then, so an unbound planner can only answer. */
  readonly toolNames: readonly string[];
  private readonly params: OfflinePlannerParams;

  constructor(params: OfflinePlannerParams = {}) {
    super(params);
    this.params = params;
    this.toolNames = [...(params.toolNames ?? [])];
  }

  static override lc_name(): string {
    return "OfflinePlanner";
  }

  _llmType(): string {
    return OFFLINE_MODEL_NAME;
  }

  /**
   * Returns a planner that may call `tools` (LangChain tools, OpenAI-format tool definitions or `{ name }` records).
   * Call options such as `tool_choice` are accepted and ignored: the plan decides.
   */
  override bindTools(tools: BindToolsInput[], _kwargs?: Partial<BaseChatModelCallOptions>): OfflinePlanner {
    return new OfflinePlanner({
      ...this.params,
      toolNames: tools.map(toolNameOf).filter((name) => name !== undefined),
    });
  }

  async _generate(
    messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const decision = planNextStep(messages, this.toolNames);
    const response_metadata = { model_name: OFFLINE_MODEL_NAME, model_provider: "offline" };
    const message =
      decision.kind === "call"
        ? new AIMessage({
            content: "",
            tool_calls: [{ id: decision.id, name: decision.name, args: decision.args, type: "tool_call" }],
            response_metadata,
          })
        : new AIMessage({ content: decision.text, response_metadata });
    return { generations: [{ text: decision.kind === "call" ? "" : decision.text, message }] };
  }
}

/** The name of a tool in any of the forms `bindTools` accepts. */
function toolNameOf(tool: BindToolsInput): string | undefined {
  const record = tool as { name?: unknown; function?: { name?: unknown } };
  if (typeof record.function?.name === "string") return record.function.name;
  if (typeof record.name === "string") return record.name;
  return undefined;
}
