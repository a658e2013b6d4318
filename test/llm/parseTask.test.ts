import { describe, expect, it } from "vitest";
import { parseTask, SUPPORTED_TASKS, TASK_EXAMPLES, type Task } from "../../src/llm/parseTask.js";

const BOB = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("parseTask", () => {
  const cases: Array<[string, Task]> = [
    [
      "Hire an agent for word-count to count the words in: the quick brown fox. Budget 0.002 ETH, bond 50%, check window 2 minutes.",
      {
        kind: "hire",
        skill: "word-count",
        input: "the quick brown fox",
        budget: "0.002",
        token: "ETH",
        bondPercent: 50,
        checkWindowMinutes: 2,
      },
    ],
    [
      "Delegate sort of '3 1 2' with a budget of 1.5 gUSD",
      { kind: "hire", skill: "sort", input: "3 1 2", budget: "1.5", token: "gUSD" },
    ],
    [
      "delegate sort of 3 1 2 with a budget of 1.5 gusd",
      { kind: "hire", skill: "sort", input: "3 1 2", budget: "1.5", token: "gUSD" },
    ],
    [
      "Please hire a sort agent: 'a:b c', budget: 2 gUSD, 30% bond, deadline 1 hour, check window 90 s",
      {
        kind: "hire",
        skill: "sort",
        input: "a:b c",
        budget: "2",
        token: "gUSD",
        bondPercent: 30,
        deadlineMinutes: 60,
        checkWindowMinutes: 1.5,
      },
    ],
    [
      'HIRE skill=summarize input="it\'s here: really" budget=1 ETH within 30 minutes',
      { kind: "hire", skill: "summarize", input: "it's here: really", budget: "1", token: "ETH", deadlineMinutes: 30 },
    ],
    [
      '{"skill": "Word-Count", "input": "hi there", "budget": 0.5, "token": "eth", "bondPercent": 20, "checkWindowMinutes": 3}',
      {
        kind: "hire",
        skill: "word-count",
        input: "hi there",
        budget: "0.5",
        token: "ETH",
        bondPercent: 20,
        checkWindowMinutes: 3,
      },
    ],
    ["Check the delivery of job 7", { kind: "check", jobId: "7" }],
    ["verify job #7 and stake 0.001 ETH", { kind: "check", jobId: "7", stake: "0.001" }],
    ["Stake 0.5 on job 12", { kind: "check", jobId: "12", stake: "0.5" }],
    ["Settle job 3", { kind: "settle", jobId: "3" }],
    ["Claim my rewards", { kind: "claim" }],
    ["claim my rewards for job 12", { kind: "claim", jobId: "12" }],
    ["Report spending", { kind: "spending" }],
    ["report my spending for the last 24 hours", { kind: "spending", sinceHours: 24 }],
    ["How much did I spend in the past 2 days?", { kind: "spending", sinceHours: 48 }],
    ["what did I spend over the last week", { kind: "spending", sinceHours: 168 }],
    ["What is my balance", { kind: "balance" }],
    ["what's my balance in gUSD?", { kind: "balance", token: "gUSD" }],
    ["Show my ETH balance", { kind: "balance", token: "ETH" }],
    [`Pay 0.01 ETH to ${BOB}`, { kind: "pay", to: BOB, amount: "0.01", token: "ETH" }],
    [`send 2 to ${BOB}`, { kind: "pay", to: BOB, amount: "2" }],
    [
      "Register as bob with skills word-count,sort at 0.001 ETH",
      { kind: "register", name: "bob", skills: ["word-count", "sort"], price: "0.001", token: "ETH" },
    ],
    [
      "register carol with skills word-count, sort and summarize for 1 gUSD",
      { kind: "register", name: "carol", skills: ["word-count", "sort", "summarize"], price: "1", token: "gUSD" },
    ],
    ["tell me a joke", { kind: "unknown" }],
    ["", { kind: "unknown" }],
    ["{not json", { kind: "unknown" }],
  ];

  it.each(cases)("%s", (text, expected) => {
    expect(parseTask(text)).toEqual(expected);
  });

  it("says what is missing from a known form", () => {
    expect(parseTask("Hire an agent for word-count")).toMatchObject({ kind: "incomplete", form: "hire" });
    expect(parseTask("Hire an agent for word-count: the fox")).toMatchObject({ kind: "incomplete", form: "hire" });
    expect(parseTask("hire an agent for sort: 1 2, budget 1 ETH, bond 150%")).toMatchObject({
      kind: "incomplete",
      form: "hire",
    });
    expect(parseTask("Check the delivery")).toMatchObject({ kind: "incomplete", form: "check" });
    expect(parseTask("settle it")).toMatchObject({ kind: "incomplete", form: "settle" });
    expect(parseTask("Pay 0.01 ETH to bob")).toMatchObject({ kind: "incomplete", form: "pay" });
    expect(parseTask("Register as bob at 0.001 ETH")).toMatchObject({ kind: "incomplete", form: "register" });
    expect(parseTask('{"skill": "sort", "budget": "1"}')).toMatchObject({ kind: "incomplete", form: "hire" });
  });

  it("parses every example it advertises back to the form it is listed under", () => {
    for (const [form, examples] of Object.entries(TASK_EXAMPLES))
      for (const example of examples) expect(parseTask(example).kind, example).toBe(form);
    expect(SUPPORTED_TASKS).toHaveLength(Object.values(TASK_EXAMPLES).flat().length);
  });

  it("quotes an example of the same form when a task is incomplete", () => {
    for (const sentence of ["Settle it", "Check the delivery", "Pay 0.01 ETH to bob", "Register as bob at 0.001 ETH"]) {
      const task = parseTask(sentence);
      if (task.kind !== "incomplete") throw new Error(`"${sentence}" parsed as ${task.kind}`);
      expect(parseTask(task.example).kind, task.example).toBe(task.form);
    }
  });
});

describe("let the check decide", () => {
  it("is read from the hire sentence", () => {
    const task = parseTask(
      "Hire an agent for sort to sort: 5 3 9 1. Budget 0.002 ETH, bond 50%, check window 15s. Let the check decide.",
    );
    expect(task).toMatchObject({
      kind: "hire",
      skill: "sort",
      input: "5 3 9 1",
      budget: "0.002",
      token: "ETH",
      bondPercent: 50,
      letCheckDecide: true,
    });
    expect(parseTask("Hire an agent for sort to sort: 5 3 9 1. Budget 0.002 ETH")).not.toHaveProperty("letCheckDecide");
  });
});
