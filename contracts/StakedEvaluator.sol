// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobEscrow, IJobEvaluator} from "./interfaces/IJobEscrow.sol";

/// @title StakedEvaluator
/// @notice An ERC-8183 evaluator that decides by a staked, optimistic quality check which cannot be bought
/// in the last second.
///
/// The game. After the provider submits, anyone but the client may {stake} on pass or fail in the job's
/// token; the provider only on pass, and that stake is its bond. Pass leads at first (the work is
/// presumed good). A side takes the lead only by bringing its total to at least {OUTBID_FACTOR} times the
/// leader's total, and every change of lead (a flip) moves the close out to at least one response period
/// away, so the side that was outbid always has a response period to answer. A job allows `maxFlips`
/// flips, so each check has a known latest close: `submission + window + maxFlips * responsePeriod`. The
/// leading side cannot add to its total in the last response period before the close (that would raise
/// the bar with no time left to answer). After the close the leader wins; nothing else decides.
///
/// Escalation. A job may name an arbiter (never its client or provider). Once the stakes on both sides
/// reach the job's escalation threshold, any staker may {escalate} before the close, and the arbiter may
/// then {rule} within the arbitration period: its ruling overrides the game. Escalating stops nothing, so
/// it cannot freeze a lead just taken; an arbiter that does not rule leaves the game's result, settled
/// after both the close and the ruling deadline, so no funds wait on anyone.
///
/// The bond. A provider that did not post the bond its job requires cannot be paid: if pass leads at
/// settlement without the bond, the job fails and every stake is returned, so pass stakers never lose by
/// the bond's absence and fail stakers gain nothing from it. (The bond is not folded into the delivery:
/// the escrow's `submit` and `deliver` stay the ERC's, and the fast path pays nothing for it.)
///
/// Timing. At creation, `window + maxFlips * responsePeriod + arbitrationPeriod + minSettleMargin` must fit
/// in the job's evaluation period, so a client can never claim a refund before the check can be settled.
///
/// Payouts. Winners get their stake back plus a pro-rata share of the losing side; each staker {claim}s
/// its own share, so settling costs the same for one staker or a thousand. If nobody backed the winning
/// side, or the job expired before settlement, the check is void and every staker gets its stake back.
/// The client may {approve} early while nobody stakes fail.
/// @dev One storage slot per job holds the check's state and its most used terms; non-default timings and
/// arbitration live in one more slot each, written only for jobs that set them. One slot per staker.
contract StakedEvaluator is IJobEvaluator, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using CheckFields for Check;
    using ArbitrationFields for uint256;

    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    error EvaluatorOnlyEscrow(address caller);
    error EvaluatorNotJobEvaluator(uint256 jobId);
    error EvaluatorInvalidTerms(
        uint256 window, uint256 responsePeriod, uint256 maxFlips, uint256 minStakeBps, uint256 bondBps
    );
    error EvaluatorInvalidArbitration(address arbiter, uint256 escalationBps, uint256 arbitrationPeriod);
    error EvaluatorMalformedTerms(uint256 length);
    error EvaluatorInvalidLimits(uint256 minResponsePeriod, uint256 minSettleMargin);
    error EvaluatorTermsOutlastRefund(uint256 latestEnd, uint256 evaluationPeriod);
    error EvaluatorJobNotSubmitted(uint256 jobId, IJobEscrow.Status status);
    error EvaluatorAlreadySettled(uint256 jobId);
    error EvaluatorNotSettled(uint256 jobId);
    error EvaluatorWindowClosed(uint256 jobId, uint256 closedAt);
    error EvaluatorWindowOpen(uint256 jobId, uint256 closesAt);
    error EvaluatorLeadFrozen(uint256 jobId, uint256 frozenFrom);
    error EvaluatorLeadLocked(uint256 jobId, uint256 flips);
    error EvaluatorClientCannotStake(uint256 jobId);
    error EvaluatorArbiterCannotStake(uint256 jobId);
    error EvaluatorProviderMustStakePass(uint256 jobId);
    error EvaluatorSideConflict(uint256 jobId, bool pass);
    error EvaluatorStakeTooSmall(uint256 jobId, uint256 stake, uint256 minStake);
    error EvaluatorStakeTooLarge(uint256 jobId, uint256 stake);
    error EvaluatorWrongValue(uint256 expected, uint256 sent);
    error EvaluatorTransferShortfall(address token, uint256 expected, uint256 received);
    error EvaluatorUnauthorized(uint256 jobId, address caller);
    error EvaluatorFailStakePresent(uint256 jobId, uint256 failTotal);
    error EvaluatorNotSettleable(uint256 jobId, IJobEscrow.Status status);
    error EvaluatorNothingToClaim(uint256 jobId, address staker);
    error EvaluatorClaimFailed(address to, uint256 amount);
    error EvaluatorNoArbiter(uint256 jobId);
    error EvaluatorNotStaker(uint256 jobId, address caller);
    error EvaluatorBelowEscalationThreshold(uint256 jobId, uint256 staked, uint256 threshold);
    error EvaluatorEscalated(uint256 jobId);
    error EvaluatorRulingNotOpen(uint256 jobId, uint256 opensAt);
    error EvaluatorNotEscalated(uint256 jobId);
    error EvaluatorNotArbiter(uint256 jobId, address caller);
    error EvaluatorRulingClosed(uint256 jobId, uint256 rulingDeadline);
    error EvaluatorAwaitingRuling(uint256 jobId, uint256 rulingDeadline);

    // ----------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------

    /// @notice The client set the job's check at creation (the default window resolved). Its response period
    /// and flips are the defaults unless a {CheckTimingSet} follows.
    event CheckConfigured(uint256 indexed jobId, uint256 window, uint256 minStakeBps, uint256 bondBps);
    /// @notice The job's check does not use the default timing; emitted with its {CheckConfigured}.
    event CheckTimingSet(uint256 indexed jobId, uint256 responsePeriod, uint256 maxFlips);
    /// @notice The job's check names an arbiter, emitted with its {CheckConfigured}.
    event ArbiterNamed(
        uint256 indexed jobId, address indexed arbiter, uint256 escalationBps, uint256 arbitrationPeriod
    );
    /// @notice `staker` added `amount` of `token` to its stake on `pass`.
    event Staked(uint256 indexed jobId, address indexed staker, address indexed token, bool pass, uint256 amount);
    /// @notice A stake gave `pass`'s side the lead with `total` staked; the check now closes at `closesAt`
    /// and this was flip number `flips`.
    event LeadChanged(uint256 indexed jobId, bool pass, uint256 total, uint256 closesAt, uint256 flips);
    /// @notice `by` escalated the check to its arbiter, who may rule from the close for the job's
    /// arbitration period.
    event CheckEscalated(uint256 indexed jobId, address indexed by);
    /// @notice The arbiter ruled on an escalated check.
    event CheckRuled(uint256 indexed jobId, address indexed arbiter, bool pass);
    /// @notice The check decided the job. The escrow's {JobCompleted} or {JobRejected} carries, as its
    /// `reason`, `keccak256(abi.encode(jobId, passed, passTotal, failTotal, bondPosted))`: a commitment to
    /// these figures.
    event CheckSettled(uint256 indexed jobId, bool passed, uint256 passTotal, uint256 failTotal, uint256 bondPosted);
    /// @notice Every stake on the job is returned: it expired before settlement, nobody backed the side
    /// that won, or the provider's required bond was missing.
    event CheckVoided(uint256 indexed jobId);
    /// @notice `staker` claimed `amount` of `token` for its `stake`, sent to `to`. `amount` is the stake
    /// plus its reward for a winner, the stake for a void check, and 0 for a losing stake (the claim then
    /// only closes the position, so the loss shows on-chain).
    event StakeClaimed(
        uint256 indexed jobId, address indexed staker, address indexed token, address to, uint256 stake, uint256 amount
    );

    // ----------------------------------------------------------------------------------------------
    // State
    // ----------------------------------------------------------------------------------------------

    enum Verdict {
        None,
        Pass,
        Fail,
        Void
    }

    /// @notice The terms a client sets at creation, as `evaluatorData = abi.encode(CheckTerms)`. Trailing
    /// fields may be left out: the first three alone (the default timing, no arbiter), or the first five (no
    /// arbiter).
    /// @param window Seconds from submission to the first close; 0 takes {defaultWindow}.
    /// @param minStakeBps Smallest stake, in basis points of the budget (at least one base unit).
    /// @param bondBps The provider's bond, in basis points of the budget.
    /// @param responsePeriod Seconds the outbid side has to answer a flip; 0 takes {defaultResponsePeriod}.
    /// @param maxFlips Changes of lead allowed by staking; 0 takes {defaultMaxFlips}.
    /// @param arbiter Who may rule an escalated check; `address(0)` for none.
    /// @param escalationBps Both sides' stakes, in basis points of the budget, needed to escalate.
    /// @param arbitrationPeriod Seconds the arbiter has to rule once escalated.
    struct CheckTerms {
        uint256 window;
        uint256 minStakeBps;
        uint256 bondBps;
        uint256 responsePeriod;
        uint256 maxFlips;
        address arbiter;
        uint256 escalationBps;
        uint256 arbitrationPeriod;
    }

    /// @dev A job's check, packed into one word and read and written through {CheckFields}, so that a stake
    /// costs one SLOAD and one SSTORE of it. Fields from the lowest bit: `passTotal` (96), `failTotal` (96),
    /// `closeOffset` (24: seconds from submission to the close; the window until a flip moves it),
    /// `minStakeBps` (14), `bondBps` (14), `flips` (4), `failLeads`, `escalated`, `customTiming`,
    /// `hasArbiter` (1 each), `verdict` (2). `closeOffset == 0`: not configured, the defaults apply. The
    /// totals are the pass and fail stakes until a Pass or Fail verdict; from then on `passTotal` holds the
    /// winners' stake not yet claimed and `failTotal` the reward not yet paid. Under a Void verdict they
    /// hold what is left of each side.
    type Check is uint256;

    /// @dev One slot per staker and job; the token is kept so claims need not ask the escrow. A staker's
    /// stake fits: it is at most the escrow's largest budget (2^88 - 1) unless the staker chose more.
    struct Stake {
        uint88 amount;
        bool pass;
        address token;
    }

    /// @notice A job's check as the outside sees it, with defaults applied and amounts resolved against the
    /// budget. `closeOffset` is the seconds from submission to the close: the window until a flip moves it.
    /// `closesAt` and `latestClose` are 0 until the job is submitted.
    struct CheckView {
        uint256 closeOffset;
        uint256 closesAt;
        uint256 latestClose;
        uint256 responsePeriod;
        uint256 maxFlips;
        uint256 flips;
        uint256 minStake;
        uint256 bond;
        uint256 passTotal;
        uint256 failTotal;
        uint256 escalationThreshold;
        uint256 arbitrationPeriod;
        uint256 rulingDeadline;
        address arbiter;
        bool passLeads;
        bool escalated;
        Verdict verdict;
    }

    /// @notice To take the lead, a side must bring its total to at least this multiple of the leader's.
    uint256 public constant OUTBID_FACTOR = 2;
    /// @notice Longest first window a job may ask for (30 days).
    uint256 public constant MAX_WINDOW = 30 days;
    /// @notice Longest response period a job may ask for (7 days).
    uint256 public constant MAX_RESPONSE_PERIOD = 7 days;
    /// @notice Fewest flips a job may allow: the first flip can always be answered by staking.
    uint256 public constant MIN_FLIPS = 2;
    /// @notice Most flips a job may allow.
    uint256 public constant MAX_FLIPS = 15;
    /// @notice Largest minimum stake and bond, in basis points of the budget (100%): every required amount
    /// is at most the budget, so it always fits a stake.
    uint256 public constant MAX_BPS = 10_000;
    /// @notice Largest escalation threshold, in basis points of the budget (1000x).
    uint256 public constant MAX_ESCALATION_BPS = 10_000_000;
    /// @notice Longest arbitration period a job may ask for (30 days).
    uint256 public constant MAX_ARBITRATION_PERIOD = 30 days;

    /// @notice The escrow whose jobs this contract evaluates.
    IJobEscrow public immutable escrow;
    /// @notice First window of jobs that set none, in seconds.
    uint256 public immutable defaultWindow;
    /// @notice Response period of jobs that set none, in seconds.
    uint256 public immutable defaultResponsePeriod;
    /// @notice Flips allowed in jobs that set none.
    uint256 public immutable defaultMaxFlips;
    /// @notice Minimum stake of jobs that set none, in basis points of the budget (at least 1 base unit).
    uint256 public immutable defaultMinStakeBps;
    /// @notice Bond of jobs that set none, in basis points of the budget.
    uint256 public immutable defaultBondBps;
    /// @notice Shortest response period (and arbitration period) any job may set, in seconds.
    uint256 public immutable minResponsePeriod;
    /// @notice Seconds every check leaves between its latest possible end and the client's refund.
    uint256 public immutable minSettleMargin;

    mapping(uint256 jobId => Check) private _checks;
    /// @dev `responsePeriod` (24 bits) and `maxFlips` (8), for jobs whose timing is not the default.
    mapping(uint256 jobId => uint256) private _timings;
    /// @dev `arbiter` (160 bits), `escalationBps` (32), `arbitrationPeriod` (24).
    mapping(uint256 jobId => uint256) private _arbitrations;
    mapping(uint256 jobId => mapping(address staker => Stake)) private _stakes;

    /// @notice Deploys the evaluator for `escrow_`, with the terms of jobs that set none and the floors every
    /// job's timing must respect.
    /// @param defaults The terms of jobs that set none; `arbiter`, `escalationBps` and
    /// `arbitrationPeriod` must be 0. They must fit the escrow's default evaluation period.
    /// @param minResponsePeriod_ Shortest response period any job may set (a public chain wants minutes).
    /// @param minSettleMargin_ Seconds between a check's latest end and the client's refund.
    constructor(IJobEscrow escrow_, CheckTerms memory defaults, uint256 minResponsePeriod_, uint256 minSettleMargin_) {
        if (minResponsePeriod_ == 0 || minResponsePeriod_ > MAX_RESPONSE_PERIOD || minSettleMargin_ == 0) {
            revert EvaluatorInvalidLimits(minResponsePeriod_, minSettleMargin_);
        }
        if (defaults.arbiter != address(0) || defaults.escalationBps != 0 || defaults.arbitrationPeriod != 0) {
            revert EvaluatorInvalidArbitration(defaults.arbiter, defaults.escalationBps, defaults.arbitrationPeriod);
        }
        escrow = escrow_;
        minResponsePeriod = minResponsePeriod_;
        minSettleMargin = minSettleMargin_;
        _validateTerms(
            defaults.window, defaults.responsePeriod, defaults.maxFlips, defaults.minStakeBps, defaults.bondBps
        );
        _checkTiming(
            defaults.window, defaults.responsePeriod, defaults.maxFlips, 0, escrow_.defaultEvaluationPeriod()
        );
        defaultWindow = defaults.window;
        defaultResponsePeriod = defaults.responsePeriod;
        defaultMaxFlips = defaults.maxFlips;
        defaultMinStakeBps = defaults.minStakeBps;
        defaultBondBps = defaults.bondBps;
    }

    // ----------------------------------------------------------------------------------------------
    // External
    // ----------------------------------------------------------------------------------------------

    /// @notice Sets a job's check from `abi.encode(CheckTerms)` (or its first three or five fields); or checks
    /// that the defaults fit a job that sets none (`data` empty). Called by the escrow in the job's creating transaction. Refuses terms
    /// out of range, an arbiter that is the client or the provider, and terms whose latest end plus
    /// {minSettleMargin} does not fit the job's evaluation period.
    /// Emits {CheckConfigured} when `data` is not empty, {CheckTimingSet} when the timing is not the
    /// default, and {ArbiterNamed} when the terms name an arbiter.
    function configureJob(
        uint256 jobId,
        address client,
        address provider,
        uint256 evaluationPeriod,
        bytes calldata data
    ) external {
        if (msg.sender != address(escrow)) revert EvaluatorOnlyEscrow(msg.sender);
        if (data.length == 0) {
            _checkTiming(defaultWindow, defaultResponsePeriod, defaultMaxFlips, 0, evaluationPeriod);
            return;
        }
        uint256 length = data.length;
        if (length != 96 && length != 160 && length != 256) revert EvaluatorMalformedTerms(length);
        // Read straight from calldata (no memory copy); fields left out take their defaults.
        uint256 window = _word(data, 0);
        uint256 minStakeBps = _word(data, 1);
        uint256 bondBps = _word(data, 2);
        (uint256 responsePeriod, uint256 maxFlips) = length == 96 ? (0, 0) : (_word(data, 3), _word(data, 4));
        if (window == 0) window = defaultWindow;
        if (responsePeriod == 0) responsePeriod = defaultResponsePeriod;
        if (maxFlips == 0) maxFlips = defaultMaxFlips;
        _validateTerms(window, responsePeriod, maxFlips, minStakeBps, bondBps);
        uint256 arbitrationPeriod;
        bool hasArbiter = length == 256;
        if (hasArbiter) {
            arbitrationPeriod = _word(data, 7);
            _configureArbitration(jobId, client, provider, _word(data, 5), _word(data, 6), arbitrationPeriod);
        }
        _checkTiming(window, responsePeriod, maxFlips, arbitrationPeriod, evaluationPeriod);
        bool customTiming = responsePeriod != defaultResponsePeriod || maxFlips != defaultMaxFlips;
        if (customTiming) _timings[jobId] = responsePeriod | (maxFlips << 24);
        _checks[jobId] =
            CheckFields.configured(uint24(window), uint16(minStakeBps), uint16(bondBps), customTiming, hasArbiter);
        emit CheckConfigured(jobId, window, minStakeBps, bondBps);
        if (customTiming) emit CheckTimingSet(jobId, responsePeriod, maxFlips);
    }

    /// @notice Stakes `amount` of the job's token on whether its submitted work passes. Anyone but the
    /// client and the job's arbiter, before the close; the provider only on pass (its bond). A staker stays on one side and may
    /// add to its stake. A stake that brings its side to {OUTBID_FACTOR} times the leader's takes the lead
    /// and moves the close to at least a response period away (refused once `maxFlips` flips were made);
    /// a stake on the leading side is refused in the last response period before the close. Native jobs
    /// send `amount` as value; ERC-20 jobs need an allowance.
    /// Emits {Staked}, and {LeadChanged} when the stake takes the lead.
    function stake(uint256 jobId, bool pass, uint256 amount) external payable nonReentrant {
        (
            IJobEscrow.Status status,
            uint256 submittedAt,
            address client,
            address provider,
            address token,
            uint256 budget
        ) = escrow.jobForEvaluator(jobId);
        Check check = _knownCheck(jobId);
        if (status != IJobEscrow.Status.Submitted) revert EvaluatorJobNotSubmitted(jobId, status);
        if (check.verdict() != Verdict.None) revert EvaluatorAlreadySettled(jobId);
        uint256 closesAt = _closesAt(submittedAt, check);
        if (block.timestamp >= closesAt) revert EvaluatorWindowClosed(jobId, closesAt);
        if (msg.sender == client) revert EvaluatorClientCannotStake(jobId);
        // The arbiter would otherwise back the side it is about to rule for.
        if (check.hasArbiter() && msg.sender == _arbitrations[jobId].arbiter()) revert EvaluatorArbiterCannotStake(jobId);
        if (msg.sender == provider && !pass) revert EvaluatorProviderMustStakePass(jobId);

        Stake storage position = _stakes[jobId][msg.sender];
        (uint256 previous, bool previousPass) = (position.amount, position.pass);
        if (previous != 0 && previousPass != pass) revert EvaluatorSideConflict(jobId, previousPass);
        if (amount > type(uint88).max) revert EvaluatorStakeTooLarge(jobId, amount);
        (uint256 passTotal, uint256 failTotal) = (check.passTotal(), check.failTotal());
        uint256 total;
        uint256 sideTotal;
        uint256 otherTotal;
        // Cannot overflow: every term is under 2^96.
        unchecked {
            total = previous + amount;
            (sideTotal, otherTotal) = pass ? (passTotal + amount, failTotal) : (failTotal + amount, passTotal);
        }
        uint256 minStake = _minStake(check, budget);
        if (amount == 0 || total < minStake) revert EvaluatorStakeTooSmall(jobId, total, minStake);
        if (total > type(uint88).max || sideTotal > type(uint96).max) revert EvaluatorStakeTooLarge(jobId, total);

        bool flipped;
        // Unchecked: the response period is under the window, which the close never precedes; the totals
        // are under 2^96 and the times under 2^41.
        unchecked {
            if (pass == check.passLeads()) {
                // The leader raising the bar in the last response period would leave no time to answer. The
                // provider's bond, up to what the job requires, raises nothing: a flip against pass already
                // counts it (below), so it may come at any time before the close.
                if (msg.sender != provider || total > _bond(check, budget)) {
                    uint256 frozenFrom = closesAt - _responsePeriod(jobId, check);
                    if (block.timestamp >= frozenFrom) revert EvaluatorLeadFrozen(jobId, frozenFrom);
                }
            } else if (sideTotal >= OUTBID_FACTOR * otherTotal) {
                (check, closesAt, flipped) =
                    _flip(jobId, check, pass, sideTotal, otherTotal, submittedAt, closesAt, provider, budget, minStake);
            }
        }

        (position.amount, position.pass, position.token) = (uint88(total), pass, token);
        _checks[jobId] = pass
            ? check.withTotals(uint96(sideTotal), uint96(failTotal))
            : check.withTotals(uint96(passTotal), uint96(sideTotal));
        emit Staked(jobId, msg.sender, token, pass, amount);
        if (flipped) emit LeadChanged(jobId, pass, sideTotal, closesAt, check.flips());
        _collect(token, amount);
    }

    /// @notice Escalates the check to the job's arbiter: any staker, before the close, once both sides' stakes
    /// reach the job's escalation threshold. The game goes on until the close; the arbiter may then {rule}
    /// for the job's arbitration period, and the game's result stands if it stays silent.
    /// Emits {CheckEscalated}.
    function escalate(uint256 jobId) external nonReentrant {
        (IJobEscrow.Status status, uint256 submittedAt,,,, uint256 budget) = escrow.jobForEvaluator(jobId);
        Check check = _checks[jobId];
        if (!check.hasArbiter()) revert EvaluatorNoArbiter(jobId);
        if (status != IJobEscrow.Status.Submitted) revert EvaluatorJobNotSubmitted(jobId, status);
        if (check.verdict() != Verdict.None) revert EvaluatorAlreadySettled(jobId);
        uint256 arbitration = _arbitrations[jobId];
        if (check.escalated()) revert EvaluatorEscalated(jobId);
        uint256 closesAt = _closesAt(submittedAt, check);
        if (block.timestamp >= closesAt) revert EvaluatorWindowClosed(jobId, closesAt);
        if (_stakes[jobId][msg.sender].amount == 0) revert EvaluatorNotStaker(jobId, msg.sender);
        uint256 staked = uint256(check.passTotal()) + check.failTotal();
        // Budgets are at most a uint88 and the threshold's basis points fit 32 bits: no overflow.
        uint256 threshold = budget * arbitration.escalationBps() / 10_000;
        if (staked < threshold) revert EvaluatorBelowEscalationThreshold(jobId, staked, threshold);

        // The game goes on: escalating stops nothing, so it cannot freeze a lead just taken (by one address
        // or by two of one attacker's); the arbiter rules once staking is over, and its ruling overrides it.
        _checks[jobId] = check.withEscalated();
        emit CheckEscalated(jobId, msg.sender);
    }

    /// @notice The job's arbiter decides an escalated check, from the close (when staking is over, so nobody
    /// can stake behind a ruling it saw coming) until the close plus the arbitration period, and the job is
    /// completed or rejected on the escrow. An arbiter that became the job's provider cannot rule.
    /// Emits {CheckRuled} and {CheckSettled} (and {CheckVoided} when nobody backed the side it chose, or
    /// when it chose pass and the provider's bond is missing).
    function rule(uint256 jobId, bool pass) external nonReentrant {
        (IJobEscrow.Status status, uint256 submittedAt, address client, address provider,, uint256 budget) =
            escrow.jobForEvaluator(jobId);
        Check check = _checks[jobId];
        if (!check.escalated()) revert EvaluatorNotEscalated(jobId);
        uint256 arbitration = _arbitrations[jobId];
        if (msg.sender != arbitration.arbiter() || msg.sender == provider || msg.sender == client) {
            revert EvaluatorNotArbiter(jobId, msg.sender);
        }
        if (check.verdict() != Verdict.None) revert EvaluatorAlreadySettled(jobId);
        if (status != IJobEscrow.Status.Submitted) revert EvaluatorJobNotSubmitted(jobId, status);
        uint256 closesAt = _closesAt(submittedAt, check);
        if (block.timestamp < closesAt) revert EvaluatorRulingNotOpen(jobId, closesAt);
        uint256 rulingDeadline = closesAt + arbitration.arbitrationPeriod();
        if (block.timestamp >= rulingDeadline) revert EvaluatorRulingClosed(jobId, rulingDeadline);
        emit CheckRuled(jobId, msg.sender, pass);
        _settleAs(jobId, check, provider, budget, pass);
    }

    /// @notice Decides a Submitted job after its close (and, once escalated, after the ruling deadline too)
    /// for the side that leads, and completes or rejects it on the escrow; or, for a job that expired
    /// meanwhile, voids the check so every stake is returned. Anyone may call.
    /// Emits {CheckSettled} or {CheckVoided}, or both.
    function settle(uint256 jobId) external nonReentrant {
        (IJobEscrow.Status status, uint256 submittedAt,, address provider,, uint256 budget) =
            escrow.jobForEvaluator(jobId);
        Check check = _knownCheck(jobId);
        if (check.verdict() != Verdict.None) revert EvaluatorAlreadySettled(jobId);
        if (status == IJobEscrow.Status.Expired) {
            _checks[jobId] = check.withVerdict(Verdict.Void);
            emit CheckVoided(jobId);
            return;
        }
        if (status != IJobEscrow.Status.Submitted) revert EvaluatorNotSettleable(jobId, status);
        uint256 closesAt = _closesAt(submittedAt, check);
        if (block.timestamp < closesAt) revert EvaluatorWindowOpen(jobId, closesAt);
        if (check.escalated()) {
            // A silent arbiter leaves the game's result; it has the arbitration period after the close.
            uint256 rulingDeadline = closesAt + _arbitrations[jobId].arbitrationPeriod();
            if (block.timestamp < rulingDeadline) revert EvaluatorAwaitingRuling(jobId, rulingDeadline);
        }
        // Pass cannot win without the provider's bond: the job fails and every stake goes back.
        uint256 bondPosted = _stakes[jobId][provider].amount;
        bool bondMissing = check.passLeads() && bondPosted < _bond(check, budget);
        _decide(jobId, check, bondPosted, check.passLeads() && !bondMissing, bondMissing);
    }

    /// @notice The client accepts the work at any time before settlement, while no stake says fail.
    /// Pass stakers (the provider's bond among them) get their stakes back.
    /// Emits {CheckSettled}.
    function approve(uint256 jobId) external nonReentrant {
        (IJobEscrow.Status status,, address client, address provider,,) = escrow.jobForEvaluator(jobId);
        Check check = _knownCheck(jobId);
        if (msg.sender != client) revert EvaluatorUnauthorized(jobId, msg.sender);
        if (status != IJobEscrow.Status.Submitted) revert EvaluatorJobNotSubmitted(jobId, status);
        if (check.verdict() != Verdict.None) revert EvaluatorAlreadySettled(jobId);
        if (check.failTotal() != 0) revert EvaluatorFailStakePresent(jobId, check.failTotal());
        if (check.passTotal() == 0) {
            // Nobody staked, so there is nothing to pay out here: the escrow's Completed status is the
            // whole verdict, and the check's slot is left as it was (the fast path's largest saving).
            bytes32 reason = keccak256(abi.encode(jobId, true, 0, 0, 0));
            emit CheckSettled(jobId, true, 0, 0, 0);
            escrow.complete(jobId, reason);
            return;
        }
        _decide(jobId, check, _stakes[jobId][provider].amount, true, false);
    }

    /// @notice Claims the caller's stake and reward for a settled check, to the caller.
    /// Emits {StakeClaimed}.
    function claim(uint256 jobId) external nonReentrant returns (uint256 amount) {
        amount = _claim(jobId, msg.sender);
    }

    /// @notice Claims the caller's stake and reward for a settled check, to `to` (for stakers that cannot
    /// receive the token themselves).
    /// Emits {StakeClaimed}.
    function claimTo(uint256 jobId, address to) external nonReentrant returns (uint256 amount) {
        amount = _claim(jobId, to);
    }

    /// @notice The job's check with defaults applied and amounts resolved against its budget. Once a Pass
    /// or Fail verdict is in, the totals are what remains to be claimed (see {Check}). A job the client
    /// approved with no stakes reads as Pass.
    function getCheck(uint256 jobId) external view returns (CheckView memory view_) {
        (IJobEscrow.Status status, uint256 submittedAt,,,, uint256 budget) = escrow.jobForEvaluator(jobId);
        Check check = _checks[jobId];
        if (check.closeOffset() == 0) check = _defaults(check);
        (uint256 responsePeriod, uint256 maxFlips) = _timing(jobId, check);
        Verdict verdict = check.verdict();
        if (verdict == Verdict.None && status == IJobEscrow.Status.Completed) verdict = Verdict.Pass;
        view_ = CheckView({
            closeOffset: check.closeOffset(),
            closesAt: 0,
            latestClose: 0,
            responsePeriod: responsePeriod,
            maxFlips: maxFlips,
            flips: check.flips(),
            passLeads: check.passLeads(),
            minStake: _minStake(check, budget),
            bond: _bond(check, budget),
            passTotal: check.passTotal(),
            failTotal: check.failTotal(),
            arbiter: address(0),
            escalationThreshold: 0,
            arbitrationPeriod: 0,
            escalated: check.escalated(),
            rulingDeadline: 0,
            verdict: verdict
        });
        if (submittedAt != 0) {
            view_.closesAt = submittedAt + check.closeOffset();
            // Each remaining flip moves the close by less than a response period.
            view_.latestClose = view_.closesAt + (maxFlips - check.flips()) * responsePeriod;
        }
        if (check.hasArbiter()) {
            uint256 arbitration = _arbitrations[jobId];
            view_.arbiter = arbitration.arbiter();
            view_.escalationThreshold = budget * arbitration.escalationBps() / 10_000;
            view_.arbitrationPeriod = arbitration.arbitrationPeriod();
            if (check.escalated() && view_.closesAt != 0) {
                view_.rulingDeadline = view_.closesAt + view_.arbitrationPeriod;
            }
        }
    }

    /// @notice `staker`'s unclaimed stake on a job and its side.
    function stakeOf(uint256 jobId, address staker) external view returns (uint256 amount, bool pass) {
        Stake memory position = _stakes[jobId][staker];
        return (position.amount, position.pass);
    }

    /// @notice What {claim} would pay `staker` now (0 before settlement or for a losing stake).
    function claimable(uint256 jobId, address staker) external view returns (uint256 payout) {
        Check check = _checks[jobId];
        Stake storage position = _stakes[jobId][staker];
        (uint96 amount, bool pass) = (position.amount, position.pass);
        if (check.verdict() == Verdict.None || amount == 0) return 0;
        (payout,) = _payoutOf(check, amount, pass);
    }

    // ----------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------

    /// @dev Settles for `passed`, unless the provider's required bond is missing while pass would win:
    /// then the job fails and every stake is returned.
    function _settleAs(uint256 jobId, Check check, address provider, uint256 budget, bool passed) private {
        uint256 bondPosted = _stakes[jobId][provider].amount;
        bool bondMissing = passed && bondPosted < _bond(check, budget);
        _decide(jobId, check, bondPosted, passed && !bondMissing, bondMissing);
    }

    /// @dev Records the verdict in one write and passes it to the escrow.
    function _decide(uint256 jobId, Check check, uint256 bondPosted, bool passed, bool forceVoid) private {
        (uint96 passTotal, uint96 failTotal) = (check.passTotal(), check.failTotal());
        (uint96 winners, uint96 losers) = passed ? (passTotal, failTotal) : (failTotal, passTotal);
        // Nobody backed the winning side: there is nobody to pay, so every stake goes back.
        bool void = forceVoid || (winners == 0 && losers != 0);
        _checks[jobId] = void
            ? check.withVerdict(Verdict.Void)
            : check.withTotals(winners, losers).withVerdict(passed ? Verdict.Pass : Verdict.Fail);
        if (void) emit CheckVoided(jobId);
        bytes32 reason = keccak256(abi.encode(jobId, passed, passTotal, failTotal, bondPosted));
        emit CheckSettled(jobId, passed, passTotal, failTotal, bondPosted);
        if (passed) escrow.complete(jobId, reason);
        else escrow.reject(jobId, reason);
    }

    function _claim(uint256 jobId, address to) private returns (uint256 payout) {
        Check check = _checks[jobId];
        if (check.verdict() == Verdict.None) revert EvaluatorNotSettled(jobId);
        Stake storage position = _stakes[jobId][msg.sender];
        (uint96 amount, bool pass, address token) = (position.amount, position.pass, position.token);
        if (amount == 0) revert EvaluatorNothingToClaim(jobId, msg.sender);
        Check left;
        (payout, left) = _payoutOf(check, amount, pass);

        delete _stakes[jobId][msg.sender];
        emit StakeClaimed(jobId, msg.sender, token, to, amount, payout);
        if (payout == 0) return 0;
        _checks[jobId] = left;
        if (token == address(0)) {
            (bool ok,) = to.call{value: payout}("");
            if (!ok) revert EvaluatorClaimFailed(to, payout);
        } else {
            IERC20(token).safeTransfer(to, payout);
        }
    }

    /// @dev What a stake of `amount` on `pass` is paid, and the check with it taken out of the totals.
    /// Checked subtractions: the totals cover every unclaimed stake and share, an invariant worth a
    /// revert rather than a silent wrap if it ever broke.
    function _payoutOf(Check check, uint96 amount, bool pass) private pure returns (uint256 payout, Check left) {
        (uint96 passTotal, uint96 failTotal) = (check.passTotal(), check.failTotal());
        Verdict verdict = check.verdict();
        if (verdict == Verdict.Void) {
            left = pass
                ? check.withTotals(passTotal - amount, failTotal)
                : check.withTotals(passTotal, failTotal - amount);
            return (amount, left);
        }
        if (pass != (verdict == Verdict.Pass)) return (0, check);
        // Winner: pro-rata share of the reward left, the last winner taking the remainder. Under a Pass or
        // Fail verdict the totals hold the winners' stake and the reward not yet claimed (see {Check}).
        (uint96 winners, uint96 reward) = (passTotal, failTotal);
        uint96 share = reward;
        if (amount != winners) {
            // Cannot overflow (a uint96 times a uint96) and `amount < winners`, so `share < reward`.
            unchecked {
                share = uint96(uint256(amount) * reward / winners);
            }
        }
        return (uint256(amount) + share, check.withTotals(winners - amount, reward - share));
    }

    function _collect(address token, uint256 amount) private {
        uint256 expectedValue = token == address(0) ? amount : 0;
        if (msg.value != expectedValue) revert EvaluatorWrongValue(expectedValue, msg.value);
        if (token != address(0)) {
            uint256 balanceBefore = IERC20(token).balanceOf(address(this));
            IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
            uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
            if (received != amount) revert EvaluatorTransferShortfall(token, amount, received);
        }
    }

    /// @dev The job's check with the defaults applied, once this contract knows it is the job's evaluator.
    /// A configured check is known: {configureJob} comes only from the escrow and only for the job's own
    /// evaluator, and the first write of an unconfigured check stores the defaults, after this function
    /// asked the escrow. So only a check with no terms yet costs the question.
    function _knownCheck(uint256 jobId) private view returns (Check check) {
        check = _checks[jobId];
        if (check.closeOffset() == 0) {
            (address jobsEvaluator,) = escrow.jobEvaluator(jobId);
            if (jobsEvaluator != address(this)) revert EvaluatorNotJobEvaluator(jobId);
            check = _defaults(check);
        }
    }

    /// @dev The defaults, validated in the constructor (and against the job's evaluation period when it
    /// was not the escrow's default, in {configureJob}), so they fit their fields.
    function _defaults(Check check) private view returns (Check) {
        return check.withTerms(uint24(defaultWindow), uint16(defaultMinStakeBps), uint16(defaultBondBps));
    }

    function _responsePeriod(uint256 jobId, Check check) private view returns (uint256) {
        return check.customTiming() ? uint24(_timings[jobId]) : defaultResponsePeriod;
    }

    function _timing(uint256 jobId, Check check) private view returns (uint256 responsePeriod, uint256 maxFlips) {
        if (!check.customTiming()) return (defaultResponsePeriod, defaultMaxFlips);
        uint256 timing = _timings[jobId];
        return (uint24(timing), uint8(timing >> 24));
    }

    /// @dev Word `index` of `data`, whose length the caller checked.
    function _word(bytes calldata data, uint256 index) private pure returns (uint256 word) {
        // One CALLDATALOAD, where a slice would copy and bounds-check on the creation's hot path.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            word := calldataload(add(data.offset, mul(index, 32)))
        }
    }

    /// @dev Stores a job's arbitration after checking it: an arbiter (never the client or the provider), a
    /// threshold and a period in range.
    /// Emits {ArbiterNamed}.
    function _configureArbitration(
        uint256 jobId,
        address client,
        address provider,
        uint256 arbiterWord,
        uint256 escalationBps,
        uint256 arbitrationPeriod
    ) private {
        address arbiter = address(uint160(arbiterWord));
        if (
            arbiterWord > type(uint160).max || arbiter == address(0) || arbiter == client || arbiter == provider
                || escalationBps > MAX_ESCALATION_BPS || arbitrationPeriod < minResponsePeriod
                || arbitrationPeriod > MAX_ARBITRATION_PERIOD
        ) {
            revert EvaluatorInvalidArbitration(arbiter, escalationBps, arbitrationPeriod);
        }
        _arbitrations[jobId] = ArbitrationFields.pack(arbiter, escalationBps, arbitrationPeriod);
        emit ArbiterNamed(jobId, arbiter, escalationBps, arbitrationPeriod);
    }

    /// @dev The least a side must bring to take the lead, whatever the leader holds: {OUTBID_FACTOR} times
    /// the bond (or the minimum stake, if larger), doubled for every flip already made. Without it, two
    /// addresses of one attacker could use up the flips while the totals are still small and lock the lead
    /// for the price of a few minimum stakes; with it, the last flip costs at least `2^maxFlips` bonds.
    /// Unchecked: the bond is at most the budget (2^88) and flips at most 15.
    function _flipFloor(Check check, uint256 budget, uint256 minStake) private pure returns (uint256) {
        uint256 base = _bond(check, budget);
        if (base < minStake) base = minStake;
        unchecked {
            return OUTBID_FACTOR * (base << check.flips());
        }
    }

    /// @dev A stake that brought its side to {OUTBID_FACTOR} times the leader's takes the lead if it also
    /// clears the floor ({_flipFloor}) and, against pass, doubles the pass side with the bond not yet posted
    /// counted ({_bondMissing}); it then moves the close to at least a response period away. Otherwise the
    /// stake stays a stake on the trailing side.
    function _flip(
        uint256 jobId,
        Check check,
        bool pass,
        uint256 sideTotal,
        uint256 otherTotal,
        uint256 submittedAt,
        uint256 closesAt,
        address provider,
        uint256 budget,
        uint256 minStake
    ) private view returns (Check, uint256, bool) {
        if (sideTotal < _flipFloor(check, budget, minStake)) return (check, closesAt, false);
        // Cannot overflow: the totals are under 2^96 and the bond under 2^88.
        unchecked {
            if (!pass && sideTotal < OUTBID_FACTOR * (otherTotal + _bondMissing(jobId, check, provider, budget))) {
                return (check, closesAt, false);
            }
        }
        (uint256 responsePeriod, uint256 maxFlips) = _timing(jobId, check);
        uint256 flips = check.flips();
        if (flips >= maxFlips) revert EvaluatorLeadLocked(jobId, flips);
        // Unchecked: times are under 2^41; the offset is at most window + maxFlips * responsePeriod,
        // bounded at creation under 2^24.
        unchecked {
            uint256 answerBy = block.timestamp + responsePeriod;
            if (answerBy > closesAt) {
                closesAt = answerBy;
                check = check.withCloseOffset(uint24(closesAt - submittedAt));
            }
            return (check.withLead(pass, uint8(flips + 1)), closesAt, true);
        }
    }

    /// @dev What the provider still owes of its bond: a flip against pass must double the pass side with it
    /// counted, so that the bond arriving late never raises the bar.
    function _bondMissing(uint256 jobId, Check check, address provider, uint256 budget)
        private
        view
        returns (uint256)
    {
        uint256 bond = _bond(check, budget);
        uint256 posted = _stakes[jobId][provider].amount;
        unchecked {
            return posted >= bond ? 0 : bond - posted;
        }
    }

    /// @dev `submittedAt` comes from the escrow's uint40 and the offset is a uint24: no overflow.
    function _closesAt(uint256 submittedAt, Check check) private pure returns (uint256) {
        unchecked {
            return submittedAt + check.closeOffset();
        }
    }

    /// @dev Budgets are at most a uint88 in the escrow and basis points a uint16: no overflow.
    function _minStake(Check check, uint256 budget) private pure returns (uint256 minStake) {
        unchecked {
            minStake = budget * check.minStakeBps() / 10_000;
        }
        if (minStake == 0) minStake = 1;
    }

    /// @dev As {_minStake}: no overflow.
    function _bond(Check check, uint256 budget) private pure returns (uint256) {
        unchecked {
            return budget * check.bondBps() / 10_000;
        }
    }

    function _validateTerms(uint256 window, uint256 responsePeriod, uint256 maxFlips, uint256 minStakeBps, uint256 bondBps)
        private
        view
    {
        if (
            window == 0 || window > MAX_WINDOW || responsePeriod < minResponsePeriod
                || responsePeriod > MAX_RESPONSE_PERIOD || responsePeriod >= window || maxFlips < MIN_FLIPS
                || maxFlips > MAX_FLIPS || minStakeBps > MAX_BPS || bondBps > MAX_BPS
        ) {
            revert EvaluatorInvalidTerms(window, responsePeriod, maxFlips, minStakeBps, bondBps);
        }
    }

    /// @dev A refund never pre-empts the check: its latest end (every flip, the longest ruling) plus the
    /// settle margin fits the evaluation period. The bounds in {_validateTerms} keep the latest close
    /// under 2^24 seconds after submission, the width of `closeOffset`.
    function _checkTiming(
        uint256 window,
        uint256 responsePeriod,
        uint256 maxFlips,
        uint256 arbitrationPeriod,
        uint256 evaluationPeriod
    ) private view {
        uint256 latestEnd = window + maxFlips * responsePeriod + arbitrationPeriod + minSettleMargin;
        if (latestEnd > evaluationPeriod) revert EvaluatorTermsOutlastRefund(latestEnd, evaluationPeriod);
    }
}

/// @title CheckFields
/// @notice Reads and writes the fields of a job's packed check.
/// @dev Field access for {StakedEvaluator-Check}. Setters take values typed to their field's width, so
/// no field can spill into the next.
library CheckFields {
    uint256 private constant _TOTALS_MASK = (1 << 192) - 1;
    uint256 private constant _CLOSE_SHIFT = 192;
    uint256 private constant _MIN_STAKE_SHIFT = 216;
    uint256 private constant _BOND_SHIFT = 230;
    uint256 private constant _FLIPS_SHIFT = 244;
    uint256 private constant _FAIL_LEADS_BIT = 1 << 248;
    uint256 private constant _ESCALATED_BIT = 1 << 249;
    uint256 private constant _CUSTOM_TIMING_BIT = 1 << 250;
    uint256 private constant _ARBITER_BIT = 1 << 251;
    uint256 private constant _VERDICT_SHIFT = 252;

    /// @dev A configured check with no stakes: pass leads, the close is `window` after submission.
    function configured(uint24 window, uint16 minStakeBps_, uint16 bondBps_, bool customTiming_, bool hasArbiter_)
        internal
        pure
        returns (StakedEvaluator.Check)
    {
        uint256 word = (uint256(window) << _CLOSE_SHIFT) | (uint256(minStakeBps_) << _MIN_STAKE_SHIFT)
            | (uint256(bondBps_) << _BOND_SHIFT);
        if (customTiming_) word |= _CUSTOM_TIMING_BIT;
        if (hasArbiter_) word |= _ARBITER_BIT;
        return StakedEvaluator.Check.wrap(word);
    }

    function passTotal(StakedEvaluator.Check check) internal pure returns (uint96) {
        return uint96(StakedEvaluator.Check.unwrap(check));
    }

    function failTotal(StakedEvaluator.Check check) internal pure returns (uint96) {
        return uint96(StakedEvaluator.Check.unwrap(check) >> 96);
    }

    function closeOffset(StakedEvaluator.Check check) internal pure returns (uint256) {
        return uint24(StakedEvaluator.Check.unwrap(check) >> _CLOSE_SHIFT);
    }

    function minStakeBps(StakedEvaluator.Check check) internal pure returns (uint256) {
        return (StakedEvaluator.Check.unwrap(check) >> _MIN_STAKE_SHIFT) & 0x3fff;
    }

    function bondBps(StakedEvaluator.Check check) internal pure returns (uint256) {
        return (StakedEvaluator.Check.unwrap(check) >> _BOND_SHIFT) & 0x3fff;
    }

    function flips(StakedEvaluator.Check check) internal pure returns (uint256) {
        return (StakedEvaluator.Check.unwrap(check) >> _FLIPS_SHIFT) & 0xf;
    }

    function passLeads(StakedEvaluator.Check check) internal pure returns (bool) {
        return StakedEvaluator.Check.unwrap(check) & _FAIL_LEADS_BIT == 0;
    }

    function escalated(StakedEvaluator.Check check) internal pure returns (bool) {
        return StakedEvaluator.Check.unwrap(check) & _ESCALATED_BIT != 0;
    }

    function customTiming(StakedEvaluator.Check check) internal pure returns (bool) {
        return StakedEvaluator.Check.unwrap(check) & _CUSTOM_TIMING_BIT != 0;
    }

    function hasArbiter(StakedEvaluator.Check check) internal pure returns (bool) {
        return StakedEvaluator.Check.unwrap(check) & _ARBITER_BIT != 0;
    }

    function verdict(StakedEvaluator.Check check) internal pure returns (StakedEvaluator.Verdict) {
        return StakedEvaluator.Verdict(uint8(StakedEvaluator.Check.unwrap(check) >> _VERDICT_SHIFT));
    }

    /// @dev Sets the terms of an unconfigured check (the defaults), keeping its totals.
    function withTerms(StakedEvaluator.Check check, uint24 window, uint16 minStakeBps_, uint16 bondBps_)
        internal
        pure
        returns (StakedEvaluator.Check)
    {
        uint256 mask = (uint256(type(uint24).max) << _CLOSE_SHIFT) | (uint256(0x3fff) << _MIN_STAKE_SHIFT)
            | (uint256(0x3fff) << _BOND_SHIFT);
        return StakedEvaluator.Check.wrap(
            (StakedEvaluator.Check.unwrap(check) & ~mask) | (uint256(window) << _CLOSE_SHIFT)
                | (uint256(minStakeBps_) << _MIN_STAKE_SHIFT) | (uint256(bondBps_) << _BOND_SHIFT)
        );
    }

    function withTotals(StakedEvaluator.Check check, uint96 passTotal_, uint96 failTotal_)
        internal
        pure
        returns (StakedEvaluator.Check)
    {
        return StakedEvaluator.Check.wrap(
            (StakedEvaluator.Check.unwrap(check) & ~_TOTALS_MASK) | uint256(passTotal_) | (uint256(failTotal_) << 96)
        );
    }

    function withCloseOffset(StakedEvaluator.Check check, uint24 offset) internal pure returns (StakedEvaluator.Check) {
        return StakedEvaluator.Check.wrap(
            (StakedEvaluator.Check.unwrap(check) & ~(uint256(type(uint24).max) << _CLOSE_SHIFT))
                | (uint256(offset) << _CLOSE_SHIFT)
        );
    }

    /// @dev `pass`'s side takes the lead with this flip count (at most {StakedEvaluator-MAX_FLIPS}).
    function withLead(StakedEvaluator.Check check, bool pass, uint8 flips_) internal pure returns (StakedEvaluator.Check) {
        uint256 word = StakedEvaluator.Check.unwrap(check) & ~((uint256(0xf) << _FLIPS_SHIFT) | _FAIL_LEADS_BIT);
        word |= uint256(flips_) << _FLIPS_SHIFT;
        if (!pass) word |= _FAIL_LEADS_BIT;
        return StakedEvaluator.Check.wrap(word);
    }

    function withEscalated(StakedEvaluator.Check check) internal pure returns (StakedEvaluator.Check) {
        return StakedEvaluator.Check.wrap(StakedEvaluator.Check.unwrap(check) | _ESCALATED_BIT);
    }

    function withVerdict(StakedEvaluator.Check check, StakedEvaluator.Verdict verdict_)
        internal
        pure
        returns (StakedEvaluator.Check)
    {
        return StakedEvaluator.Check.wrap(
            (StakedEvaluator.Check.unwrap(check) & ~(uint256(0x3) << _VERDICT_SHIFT))
                | (uint256(verdict_) << _VERDICT_SHIFT)
        );
    }
}

/// @title ArbitrationFields
/// @notice Reads the fields of a job's packed arbitration.
/// @dev Field access for a job's packed arbitration word: `arbiter` (160 bits), `escalationBps` (32),
/// `arbitrationPeriod` (24).
library ArbitrationFields {
    function pack(address arbiter_, uint256 escalationBps_, uint256 arbitrationPeriod_)
        internal
        pure
        returns (uint256)
    {
        // The bounds were checked by the caller: escalationBps under 2^32, the period under 2^24.
        return uint256(uint160(arbiter_)) | (escalationBps_ << 160) | (arbitrationPeriod_ << 192);
    }

    function arbiter(uint256 word) internal pure returns (address) {
        return address(uint160(word));
    }

    function escalationBps(uint256 word) internal pure returns (uint256) {
        return uint32(word >> 160);
    }

    function arbitrationPeriod(uint256 word) internal pure returns (uint256) {
        return uint24(word >> 192);
    }
}
