// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IJobEscrow
/// @notice Guild's job escrow: the ERC-8183 "Agentic Commerce" core plus Guild's extensions
/// (per-job token, one-transaction creation, on-chain deliverables, decline, delegation chains,
/// evaluator liveness and credited payouts).
interface IJobEscrow {
    /// @notice Lifecycle states, in ERC-8183 order.
    enum Status {
        Open,
        Funded,
        Submitted,
        Completed,
        Rejected,
        Expired
    }

    /// @notice Everything a client chooses when creating a job with the extended entry points.
    /// @param provider Who does the work; `address(0)` to set it later with {setProvider}.
    /// @param evaluator Who completes or rejects the job (an address, the client itself, or a contract).
    /// @param token Payment token; `address(0)` means native ETH.
    /// @param expiredAt Unix time after which an undelivered job may be refunded; also the delivery deadline.
    /// @param evaluationPeriod Seconds the evaluator has after submission before a refund is possible;
    /// 0 takes the contract's default.
    /// @param parentJobId A live job whose provider is hiring this sub-job; 0 for none.
    /// @param description The job brief, published in {JobDetails} and not stored.
    /// @param evaluatorData When non-empty, forwarded to the evaluator's {IJobEvaluator-configureJob}.
    struct JobTerms {
        address provider;
        address evaluator;
        address token;
        uint256 expiredAt;
        uint256 evaluationPeriod;
        uint256 parentJobId;
        string description;
        bytes evaluatorData;
    }

    /// @notice A job as stored. `submittedAt` is 0 until the provider submits.
    struct Job {
        address client;
        address provider;
        address evaluator;
        address token;
        uint256 budget;
        uint256 expiredAt;
        uint256 submittedAt;
        uint256 evaluationPeriod;
        uint256 parentJobId;
        Status status;
    }

    /// @notice The job `jobId` as stored (all zero when it does not exist).
    function getJob(uint256 jobId) external view returns (Job memory);

    /// @notice Evaluation period of jobs that set none, in seconds.
    function defaultEvaluationPeriod() external view returns (uint256);

    /// @notice The part of a job an evaluator contract reads on every call, cheaper than {getJob}.
    function jobForEvaluator(uint256 jobId)
        external
        view
        returns (Status status, uint256 submittedAt, address client, address provider, address token, uint256 budget);

    /// @notice Who evaluates a job and how long it has after submission, cheaper than {getJob}.
    function jobEvaluator(uint256 jobId) external view returns (address evaluator, uint256 evaluationPeriod);

    /// @notice The evaluator accepts the submitted work of `jobId`: the provider is paid. `reason` is an
    /// attestation (for the staked check, a commitment to the outcome and totals).
    function complete(uint256 jobId, bytes32 reason) external;

    /// @notice The evaluator rejects `jobId` (the client, on an Open job): the client is refunded.
    function reject(uint256 jobId, bytes32 reason) external;
}

/// @title IJobEvaluator
/// @notice Optional interface for evaluator contracts that take per-job settings at creation.
interface IJobEvaluator {
    /// @notice Called by the escrow, in the creating transaction, when {IJobEscrow-JobTerms} carries
    /// `evaluatorData`, or names a contract evaluator with a custom evaluation period (then `data` is
    /// empty, so the evaluator can refuse a period its defaults do not fit). The job already exists in
    /// state Open; `provider` may still be `address(0)`. Reverting aborts the creation.
    function configureJob(
        uint256 jobId,
        address client,
        address provider,
        uint256 evaluationPeriod,
        bytes calldata data
    ) external;
}
