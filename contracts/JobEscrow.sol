// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobEscrow, IJobEvaluator} from "./interfaces/IJobEscrow.sol";

/// @title JobEscrow
/// @notice An ERC-8183 (Agentic Commerce) job escrow without hooks, with Guild's extensions:
/// - a payment token per job, where `address(0)` is native ETH;
/// - {createAndFund}: create, set provider and budget, and fund in one transaction;
/// - {deliver}: submit with the deliverable published on-chain and its hash computed here;
/// - {decline}: the provider of a Funded job turns it down and the client is refunded at once;
/// - `parentJobId`: the provider of a live job may link the sub-jobs it hires;
/// - evaluator liveness: a Submitted job is refundable only after its evaluation period;
/// - a payout the receiver refuses is credited for {withdraw} instead of blocking the job.
/// - ERC-8183's trailing `optParams` on every hookable call, accepted empty (this kernel has no hooks).
/// @dev Budgets up to 2^88-1 base units per job (309 million tokens of 18 decimals), so that any stake an
/// evaluator requires in proportion to the budget fits its per-staker field; storage is packed into three
/// slots for native jobs.
contract JobEscrow is IJobEscrow, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    /// @dev Hooks are optional in ERC-8183; this kernel supports none.
    error EscrowHookNotSupported(address hook);
    /// @dev `optParams` are for hooks, and this kernel has none: only empty ones are accepted.
    error EscrowOptParamsNotSupported();
    error EscrowZeroEvaluator();
    error EscrowZeroProvider();
    error EscrowInvalidExpiry(uint256 expiredAt, uint256 timestamp);
    error EscrowEvaluationPeriodTooLong(uint256 evaluationPeriod, uint256 max);
    error EscrowJobNotFound(uint256 jobId);
    error EscrowWrongStatus(uint256 jobId, Status status);
    error EscrowUnauthorized(uint256 jobId, address caller);
    error EscrowProviderAlreadySet(uint256 jobId, address provider);
    error EscrowProviderNotSet(uint256 jobId);
    error EscrowZeroBudget(uint256 jobId);
    error EscrowBudgetTooLarge(uint256 amount, uint256 max);
    error EscrowBudgetMismatch(uint256 jobId, uint256 budget, uint256 expectedBudget);
    error EscrowWrongValue(uint256 expected, uint256 sent);
    error EscrowTransferShortfall(address token, uint256 expected, uint256 received);
    error EscrowJobExpired(uint256 jobId, uint256 expiredAt);
    error EscrowNotRefundable(uint256 jobId, uint256 refundableAt);
    error EscrowInvalidParent(uint256 parentJobId);
    error EscrowNotParentProvider(uint256 parentJobId, address caller);
    error EscrowNothingToWithdraw(address account, address token);
    error EscrowWithdrawFailed(address to, address token, uint256 amount);

    // ----------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------

    /// @notice ERC-8183. A job was created in state Open.
    event JobCreated(
        uint256 indexed jobId, address indexed client, address indexed provider, address evaluator, uint256 expiredAt
    );
    /// @notice Guild extension, emitted with every {JobCreated}: the terms that are not in the ERC event.
    event JobDetails(
        uint256 indexed jobId,
        uint256 indexed parentJobId,
        address indexed token,
        uint256 evaluationPeriod,
        string description
    );
    /// @notice ERC-8183.
    event ProviderSet(uint256 indexed jobId, address indexed provider);
    /// @notice ERC-8183.
    event BudgetSet(uint256 indexed jobId, uint256 amount);
    /// @notice ERC-8183, with the payment token added: `amount` of `token` moved from `client` into escrow.
    event JobFunded(uint256 indexed jobId, address indexed client, address indexed token, uint256 amount);
    /// @notice ERC-8183.
    event JobSubmitted(uint256 indexed jobId, address indexed provider, bytes32 deliverable);
    /// @notice Guild extension: the deliverable's content; `deliverable == keccak256(bytes(content))`.
    event DeliverablePublished(uint256 indexed jobId, bytes32 indexed deliverable, string content);
    /// @notice ERC-8183.
    event JobCompleted(uint256 indexed jobId, address indexed evaluator, bytes32 reason);
    /// @notice ERC-8183. `rejector` is the client (Open), the evaluator, or the provider declining.
    event JobRejected(uint256 indexed jobId, address indexed rejector, bytes32 reason);
    /// @notice ERC-8183.
    event JobExpired(uint256 indexed jobId);
    /// @notice ERC-8183, with the token added: the escrow released `amount` to the provider.
    event PaymentReleased(uint256 indexed jobId, address indexed provider, address indexed token, uint256 amount);
    /// @notice ERC-8183, with the token added: the escrow returned `amount` to the client.
    event Refunded(uint256 indexed jobId, address indexed client, address indexed token, uint256 amount);
    /// @notice The receiver refused a payout of the job; it is kept for {withdraw}. Emitted right after
    /// the {PaymentReleased} or {Refunded} it concerns, so `amount` did not leave the escrow yet.
    event PayoutCredited(uint256 indexed jobId, address indexed account, address indexed token, uint256 amount);
    /// @notice The provider's reason for declining the job, emitted after its {JobRejected}.
    event DeclineExplained(uint256 indexed jobId, string why);
    /// @notice Credited payouts left the escrow.
    event Withdrawn(address indexed account, address indexed to, address indexed token, uint256 amount);

    // ----------------------------------------------------------------------------------------------
    // State
    // ----------------------------------------------------------------------------------------------

    /// @dev Three slots for a native job; `token` takes a fourth only for ERC-20 jobs (`hasToken`), so
    /// native jobs never touch it. Slot 0 holds all that {deliver} and {submit} need; slot 1 adds what
    /// funding and {jobForEvaluator} need. `expiredAt` is never 0 for a created job: it marks existence.
    /// `evaluationPeriod` 0 stands for {defaultEvaluationPeriod}.
    struct JobRecord {
        address provider;
        uint40 expiredAt;
        uint40 submittedAt;
        Status status;
        bool hasToken;
        address client;
        uint88 budget;
        address evaluator;
        uint32 evaluationPeriod;
        uint64 parentJobId;
        address token;
    }

    /// @notice Reason recorded when a provider declines a job.
    bytes32 public constant DECLINED = "declined";
    /// @notice Gas given to a native payout's receiver; one that needs more is credited instead.
    uint256 public constant PAYOUT_GAS = 100_000;
    /// @notice Longest evaluation period a job may ask for (365 days).
    uint256 public constant MAX_EVALUATION_PERIOD = 365 days;

    /// @notice Evaluation period for jobs that do not set one, in seconds.
    uint256 public immutable defaultEvaluationPeriod;

    uint64 private _jobCount;
    mapping(uint256 jobId => JobRecord) private _jobs;
    mapping(address account => mapping(address token => uint256)) private _credits;

    /// @notice Deploys the escrow with the evaluation period of jobs that set none.
    /// @param defaultEvaluationPeriod_ Seconds an evaluator has after submission, for jobs that set none.
    constructor(uint256 defaultEvaluationPeriod_) {
        if (defaultEvaluationPeriod_ > MAX_EVALUATION_PERIOD) {
            revert EscrowEvaluationPeriodTooLong(defaultEvaluationPeriod_, MAX_EVALUATION_PERIOD);
        }
        defaultEvaluationPeriod = defaultEvaluationPeriod_;
    }

    // ----------------------------------------------------------------------------------------------
    // ERC-8183 core
    // ----------------------------------------------------------------------------------------------

    /// @notice Creates a native-ETH job in state Open, with the default evaluation period.
    /// @dev ERC-8183 `createJob`. `hook` must be `address(0)`.
    /// Emits {JobCreated} and {JobDetails}.
    function createJob(
        address provider,
        address evaluator,
        uint256 expiredAt,
        string calldata description,
        address hook
    ) external returns (uint256 jobId) {
        if (hook != address(0)) revert EscrowHookNotSupported(hook);
        jobId = _create(provider, evaluator, address(0), expiredAt, 0, 0, description);
    }

    /// @notice Sets the provider of an Open job created without one. Client only.
    /// Emits {ProviderSet}.
    function setProvider(uint256 jobId, address provider) public {
        JobRecord storage job = _existing(jobId);
        if (msg.sender != job.client) revert EscrowUnauthorized(jobId, msg.sender);
        if (job.status != Status.Open) revert EscrowWrongStatus(jobId, job.status);
        if (job.provider != address(0)) revert EscrowProviderAlreadySet(jobId, job.provider);
        if (provider == address(0)) revert EscrowZeroProvider();
        job.provider = provider;
        emit ProviderSet(jobId, provider);
    }

    /// @notice Sets the budget of an Open job. Client or provider.
    /// Emits {BudgetSet}.
    function setBudget(uint256 jobId, uint256 amount) public {
        JobRecord storage job = _existing(jobId);
        if (msg.sender != job.client && msg.sender != job.provider) revert EscrowUnauthorized(jobId, msg.sender);
        if (job.status != Status.Open) revert EscrowWrongStatus(jobId, job.status);
        job.budget = _toBudget(amount);
        emit BudgetSet(jobId, amount);
    }

    /// @notice Escrows the budget of an Open job. Client only; `expectedBudget` guards against a
    /// budget changed under the client's feet. Native jobs send exactly the budget as value.
    /// Emits {JobFunded}.
    function fund(uint256 jobId, uint256 expectedBudget) public payable nonReentrant {
        JobRecord storage job = _existing(jobId);
        if (msg.sender != job.client) revert EscrowUnauthorized(jobId, msg.sender);
        if (job.status != Status.Open) revert EscrowWrongStatus(jobId, job.status);
        if (job.provider == address(0)) revert EscrowProviderNotSet(jobId);
        uint256 budget = job.budget;
        if (budget == 0) revert EscrowZeroBudget(jobId);
        if (budget != expectedBudget) revert EscrowBudgetMismatch(jobId, budget, expectedBudget);
        _fund(jobId, job, _tokenOf(job), budget);
    }

    /// @notice Marks a Funded job as Submitted with a reference to the work. Provider only, before expiry.
    /// Emits {JobSubmitted}.
    function submit(uint256 jobId, bytes32 deliverable) public {
        _submit(jobId, deliverable);
    }

    /// @notice Completes a Submitted job and pays the provider. Evaluator only.
    /// Emits {JobCompleted} and {PaymentReleased} (and {PayoutCredited} if the provider refuses it).
    function complete(uint256 jobId, bytes32 reason) public nonReentrant {
        JobRecord storage job = _jobs[jobId];
        // Slot 0 read once, into locals, before the checks (each check is a branch the optimizer does
        // not carry loaded values across).
        (uint256 expiredAt, Status status, address provider, bool hasToken) =
            (job.expiredAt, job.status, job.provider, job.hasToken);
        if (expiredAt == 0) revert EscrowJobNotFound(jobId);
        if (msg.sender != job.evaluator) revert EscrowUnauthorized(jobId, msg.sender);
        if (status != Status.Submitted) revert EscrowWrongStatus(jobId, status);
        job.status = Status.Completed;
        emit JobCompleted(jobId, msg.sender, reason);
        (address token, uint256 budget) = (hasToken ? job.token : address(0), job.budget);
        emit PaymentReleased(jobId, provider, token, budget);
        _payout(jobId, provider, token, budget);
    }

    /// @notice Rejects a job: the client while Open, the evaluator while Funded or Submitted (refunding the
    /// client).
    /// Emits {JobRejected}, and {Refunded} when funds were escrowed.
    function reject(uint256 jobId, bytes32 reason) public nonReentrant {
        JobRecord storage job = _existing(jobId);
        Status status = job.status;
        if (status == Status.Open) {
            if (msg.sender != job.client) revert EscrowUnauthorized(jobId, msg.sender);
            job.status = Status.Rejected;
            emit JobRejected(jobId, msg.sender, reason);
            return;
        }
        if (status != Status.Funded && status != Status.Submitted) revert EscrowWrongStatus(jobId, status);
        if (msg.sender != job.evaluator) revert EscrowUnauthorized(jobId, msg.sender);
        job.status = Status.Rejected;
        emit JobRejected(jobId, msg.sender, reason);
        _refund(jobId, job);
    }

    /// @notice ERC-8183 form of {setProvider} with `optParams`, which must be empty.
    function setProvider(uint256 jobId, address provider, bytes calldata optParams) external {
        _noOptParams(optParams);
        setProvider(jobId, provider);
    }

    /// @notice ERC-8183 form of {setBudget} with `optParams`, which must be empty.
    function setBudget(uint256 jobId, uint256 amount, bytes calldata optParams) external {
        _noOptParams(optParams);
        setBudget(jobId, amount);
    }

    /// @notice ERC-8183 form of {fund} with `optParams`, which must be empty.
    function fund(uint256 jobId, uint256 expectedBudget, bytes calldata optParams) external payable {
        _noOptParams(optParams);
        fund(jobId, expectedBudget);
    }

    /// @notice ERC-8183 form of {submit} with `optParams`, which must be empty.
    function submit(uint256 jobId, bytes32 deliverable, bytes calldata optParams) external {
        _noOptParams(optParams);
        submit(jobId, deliverable);
    }

    /// @notice ERC-8183 form of {complete} with `optParams`, which must be empty.
    function complete(uint256 jobId, bytes32 reason, bytes calldata optParams) external {
        _noOptParams(optParams);
        complete(jobId, reason);
    }

    /// @notice ERC-8183 form of {reject} with `optParams`, which must be empty.
    function reject(uint256 jobId, bytes32 reason, bytes calldata optParams) external {
        _noOptParams(optParams);
        reject(jobId, reason);
    }

    /// @notice Refunds the client of a job nobody finished in time; anyone may call. A Funded job is
    /// refundable from `expiredAt`; a Submitted one from the later of `expiredAt` and the end of its
    /// evaluation period, so a provider who delivered in time is not refunded away while the evaluator
    /// still has time to answer.
    /// Emits {JobExpired} and {Refunded}.
    function claimRefund(uint256 jobId) external nonReentrant {
        JobRecord storage job = _existing(jobId);
        Status status = job.status;
        if (status != Status.Funded && status != Status.Submitted) revert EscrowWrongStatus(jobId, status);
        uint256 refundTime = _refundableAt(job);
        if (block.timestamp < refundTime) revert EscrowNotRefundable(jobId, refundTime);
        job.status = Status.Expired;
        emit JobExpired(jobId);
        _refund(jobId, job);
    }

    /// @notice The job as stored.
    function getJob(uint256 jobId) external view returns (Job memory) {
        JobRecord storage job = _existing(jobId);
        return Job({
            client: job.client,
            provider: job.provider,
            evaluator: job.evaluator,
            token: _tokenOf(job),
            budget: job.budget,
            expiredAt: job.expiredAt,
            submittedAt: job.submittedAt,
            evaluationPeriod: _evaluationPeriodOf(job),
            parentJobId: job.parentJobId,
            status: job.status
        });
    }

    /// @notice What an evaluator contract reads on every call, for less gas than {getJob}: two storage
    /// slots for a native job, three for an ERC-20 job. Reverts with {EscrowJobNotFound} like {getJob}.
    /// @dev The dispatcher compares selectors in ascending order; the names of this view and
    /// {jobEvaluator} give them the second and third selectors, as the calls an evaluator makes most.
    function jobForEvaluator(uint256 jobId)
        external
        view
        returns (Status status, uint256 submittedAt, address client, address provider, address token, uint256 budget)
    {
        JobRecord storage job = _jobs[jobId];
        uint256 expiredAt;
        bool hasToken;
        (expiredAt, status, submittedAt, provider, hasToken) =
            (job.expiredAt, job.status, job.submittedAt, job.provider, job.hasToken);
        if (expiredAt == 0) revert EscrowJobNotFound(jobId);
        (client, token, budget) = (job.client, hasToken ? job.token : address(0), job.budget);
    }

    /// @notice Who evaluates a job and how long it has after submission (one storage slot), for
    /// evaluator contracts. Reverts with {EscrowJobNotFound} like {getJob}.
    function jobEvaluator(uint256 jobId) external view returns (address evaluator, uint256 evaluationPeriod) {
        JobRecord storage job = _existing(jobId);
        return (job.evaluator, _evaluationPeriodOf(job));
    }

    // ----------------------------------------------------------------------------------------------
    // Guild extensions
    // ----------------------------------------------------------------------------------------------

    /// @notice Creates a job in state Open with the full set of terms.
    /// Emits {JobCreated} and {JobDetails}.
    function createJobWithTerms(JobTerms calldata terms) external nonReentrant returns (uint256 jobId) {
        jobId = _createWithTerms(terms);
    }

    /// @notice Creates a job, sets its provider and budget, and funds it, in one transaction.
    /// Native jobs send `budget` as value; ERC-20 jobs need an allowance of `budget`.
    /// Emits {JobCreated}, {JobDetails}, {BudgetSet} and {JobFunded}.
    function createAndFund(JobTerms calldata terms, uint256 budget)
        external
        payable
        nonReentrant
        returns (uint256 jobId)
    {
        if (terms.provider == address(0)) revert EscrowZeroProvider();
        if (budget == 0) revert EscrowZeroBudget(_jobCount + 1);
        jobId = _createWithTerms(terms);
        JobRecord storage job = _jobs[jobId];
        job.budget = _toBudget(budget);
        emit BudgetSet(jobId, budget);
        _fund(jobId, job, terms.token, budget);
    }

    /// @notice Submits a Funded job with the deliverable's content published on-chain; the deliverable
    /// reference is `keccak256(bytes(content))`. Provider only, before expiry.
    /// Emits {JobSubmitted} and {DeliverablePublished}.
    function deliver(uint256 jobId, string calldata content) external returns (bytes32 deliverable) {
        deliverable = keccak256(bytes(content));
        _submit(jobId, deliverable);
        emit DeliverablePublished(jobId, deliverable, content);
    }

    /// @notice The provider turns down a Funded job; the client is refunded at once.
    /// Emits {JobRejected} with reason {DECLINED}, and {Refunded}.
    function decline(uint256 jobId) public nonReentrant {
        JobRecord storage job = _existing(jobId);
        if (msg.sender != job.provider) revert EscrowUnauthorized(jobId, msg.sender);
        if (job.status != Status.Funded) revert EscrowWrongStatus(jobId, job.status);
        job.status = Status.Rejected;
        emit JobRejected(jobId, msg.sender, DECLINED);
        _refund(jobId, job);
    }

    /// @notice {decline} with the provider's reason published, so the client reads why from the chain
    /// (e.g. "check window 5 s is under this provider's minimum of 60 s").
    /// Emits {JobRejected} with reason {DECLINED}, {Refunded} and {DeclineExplained}.
    function decline(uint256 jobId, string calldata why) external {
        decline(jobId);
        emit DeclineExplained(jobId, why);
    }

    /// @notice Sends the caller's credited payouts in `token` to the caller.
    /// Emits {Withdrawn}.
    function withdraw(address token) external nonReentrant {
        _withdraw(token, msg.sender);
    }

    /// @notice Sends the caller's credited payouts in `token` to `to`, for receivers that refuse payments.
    /// Emits {Withdrawn}.
    function withdrawTo(address token, address to) external nonReentrant {
        _withdraw(token, to);
    }

    /// @notice Payouts credited to `account` in `token` and not yet withdrawn.
    function creditOf(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }

    /// @notice When a Funded or Submitted job becomes refundable by {claimRefund}.
    function refundableAt(uint256 jobId) external view returns (uint256) {
        return _refundableAt(_existing(jobId));
    }

    /// @notice Number of jobs created; ids run from 1 to this value.
    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    // ----------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------

    function _createWithTerms(JobTerms calldata terms) private returns (uint256 jobId) {
        jobId = _create(
            terms.provider,
            terms.evaluator,
            terms.token,
            terms.expiredAt,
            terms.evaluationPeriod,
            terms.parentJobId,
            terms.description
        );
        // A contract evaluator also hears of a custom evaluation period, so that it can refuse one its
        // defaults do not fit; EOA evaluators and default periods cost no call.
        if (
            terms.evaluatorData.length != 0
                || (terms.evaluationPeriod != 0 && terms.evaluator.code.length != 0)
        ) {
            IJobEvaluator(terms.evaluator).configureJob(
                jobId, msg.sender, terms.provider, _evaluationPeriodOf(_jobs[jobId]), terms.evaluatorData
            );
        }
    }

    function _create(
        address provider,
        address evaluator,
        address token,
        uint256 expiredAt,
        uint256 evaluationPeriod,
        uint256 parentJobId,
        string calldata description
    ) private returns (uint256 jobId) {
        if (evaluator == address(0)) revert EscrowZeroEvaluator();
        if (expiredAt <= block.timestamp || expiredAt > type(uint40).max) {
            revert EscrowInvalidExpiry(expiredAt, block.timestamp);
        }
        if (evaluationPeriod > MAX_EVALUATION_PERIOD) {
            revert EscrowEvaluationPeriodTooLong(evaluationPeriod, MAX_EVALUATION_PERIOD);
        }
        // A job that takes the default stores 0 and resolves it on read: one field less to write.
        uint256 storedPeriod = evaluationPeriod;
        if (evaluationPeriod == 0) evaluationPeriod = defaultEvaluationPeriod;
        if (parentJobId != 0) _checkParent(parentJobId);

        // Cannot overflow: 2^64 jobs would take more gas than any chain will ever spend.
        unchecked {
            jobId = ++_jobCount;
        }
        // Fields left at zero (status Open, no parent, native) are not written: fewer SSTOREs.
        JobRecord storage job = _jobs[jobId];
        (job.provider, job.expiredAt) = (provider, uint40(expiredAt));
        job.client = msg.sender;
        job.evaluator = evaluator;
        if (storedPeriod != 0) job.evaluationPeriod = uint32(storedPeriod);
        // Fits: a parent exists (checked above), so its id is at most `_jobCount`, a uint64.
        if (parentJobId != 0) job.parentJobId = uint64(parentJobId);
        if (token != address(0)) (job.hasToken, job.token) = (true, token);
        emit JobCreated(jobId, msg.sender, provider, evaluator, expiredAt);
        emit JobDetails(jobId, parentJobId, token, evaluationPeriod, description);
    }

    /// @dev Only the provider of a live (Funded or Submitted) parent job may link a sub-job to it.
    function _checkParent(uint256 parentJobId) private view {
        JobRecord storage parent = _jobs[parentJobId];
        if (parent.expiredAt == 0) revert EscrowInvalidParent(parentJobId);
        if (parent.provider != msg.sender) revert EscrowNotParentProvider(parentJobId, msg.sender);
        Status status = parent.status;
        if (status != Status.Funded && status != Status.Submitted) revert EscrowInvalidParent(parentJobId);
    }

    /// @dev `token` is the job's token, passed in so that native jobs never read the token slot.
    function _fund(uint256 jobId, JobRecord storage job, address token, uint256 budget) private {
        uint256 expectedValue = token == address(0) ? budget : 0;
        if (msg.value != expectedValue) revert EscrowWrongValue(expectedValue, msg.value);
        job.status = Status.Funded;
        emit JobFunded(jobId, msg.sender, token, budget);
        if (token != address(0)) {
            // Refuse tokens that deliver less than the budget (fee-on-transfer), or the escrow
            // would promise more than it holds.
            uint256 balanceBefore = IERC20(token).balanceOf(address(this));
            IERC20(token).safeTransferFrom(msg.sender, address(this), budget);
            uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
            if (received != budget) revert EscrowTransferShortfall(token, budget, received);
        }
    }

    function _submit(uint256 jobId, bytes32 deliverable) private {
        JobRecord storage job = _jobs[jobId];
        // Everything here is in slot 0: one read, one write.
        (uint256 expiredAt, Status status, address provider) = (job.expiredAt, job.status, job.provider);
        if (expiredAt == 0) revert EscrowJobNotFound(jobId);
        if (msg.sender != provider) revert EscrowUnauthorized(jobId, msg.sender);
        if (status != Status.Funded) revert EscrowWrongStatus(jobId, status);
        if (block.timestamp >= expiredAt) revert EscrowJobExpired(jobId, expiredAt);
        (job.status, job.submittedAt) = (Status.Submitted, uint40(block.timestamp));
        emit JobSubmitted(jobId, msg.sender, deliverable);
    }

    function _refund(uint256 jobId, JobRecord storage job) private {
        (address client, address token, uint256 budget) = (job.client, _tokenOf(job), job.budget);
        emit Refunded(jobId, client, token, budget);
        _payout(jobId, client, token, budget);
    }

    /// @dev Pays `amount` to `to`, or credits it for {withdraw} when `to` refuses it, so that no receiver
    /// can block a job's settlement. Native receivers get {PAYOUT_GAS}.
    function _payout(uint256 jobId, address to, address token, uint256 amount) private {
        bool ok;
        if (token == address(0)) {
            uint256 gasLimit = PAYOUT_GAS;
            // A call that copies no return data: a receiver cannot make the payout pay for a large one.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                ok := call(gasLimit, to, amount, 0, 0, 0, 0)
            }
        } else {
            ok = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!ok) {
            _credits[to][token] += amount;
            emit PayoutCredited(jobId, to, token, amount);
        }
    }

    function _withdraw(address token, address to) private {
        uint256 amount = _credits[msg.sender][token];
        if (amount == 0) revert EscrowNothingToWithdraw(msg.sender, token);
        delete _credits[msg.sender][token];
        emit Withdrawn(msg.sender, to, token, amount);
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EscrowWithdrawFailed(to, token, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    function _refundableAt(JobRecord storage job) private view returns (uint256) {
        uint256 expiredAt = job.expiredAt;
        if (job.status != Status.Submitted) return expiredAt;
        uint256 evaluationEnds = uint256(job.submittedAt) + _evaluationPeriodOf(job);
        return evaluationEnds > expiredAt ? evaluationEnds : expiredAt;
    }

    function _noOptParams(bytes calldata optParams) private pure {
        if (optParams.length != 0) revert EscrowOptParamsNotSupported();
    }

    function _existing(uint256 jobId) private view returns (JobRecord storage job) {
        job = _jobs[jobId];
        if (job.expiredAt == 0) revert EscrowJobNotFound(jobId);
    }

    /// @dev 0 stored means the contract's default.
    function _evaluationPeriodOf(JobRecord storage job) private view returns (uint256) {
        uint256 evaluationPeriod = job.evaluationPeriod;
        return evaluationPeriod == 0 ? defaultEvaluationPeriod : evaluationPeriod;
    }

    /// @dev The job's token; native jobs (`hasToken` false) do not read its slot.
    function _tokenOf(JobRecord storage job) private view returns (address) {
        return job.hasToken ? job.token : address(0);
    }

    function _toBudget(uint256 amount) private pure returns (uint88) {
        if (amount > type(uint88).max) revert EscrowBudgetTooLarge(amount, type(uint88).max);
        return uint88(amount);
    }
}
