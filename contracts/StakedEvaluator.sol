// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobEscrow, IJobEvaluator} from "./interfaces/IJobEscrow.sol";

/// @title StakedEvaluator
/// @notice An ERC-8183 evaluator that decides by a staked, optimistic quality check.
///
/// A client names this contract as a job's evaluator and may set, at creation, the job's check window,
/// the minimum stake and the bond it requires from the provider, the last two in basis points of the
/// job's budget (so one setting means the same thing for every token). After the provider submits, and
/// until the window closes, anyone but the client may {stake} on pass or fail, in the job's token; the
/// provider may stake only on pass, and that stake is its bond. After the window anyone may {settle}:
/// the job passes when the provider's bond is posted and pass stakes are at least fail stakes. A job with
/// no stakes and no required bond passes, so funds are never locked. The client may {approve} early while
/// nobody says fail.
///
/// Winners get their stake back plus a pro-rata share of the losing side; each staker {claim}s its own
/// share, so settling costs the same for one staker or a thousand. Shares are computed on what is left,
/// so the last winner to claim takes the rounding remainder and no wei is created or lost. If nobody
/// backed the winning side, or the job expired before settlement, the check is void and every staker
/// gets its stake back.
/// @dev One storage slot per job (config, totals and verdict) and one per staker.
contract StakedEvaluator is IJobEvaluator, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using CheckFields for Check;

    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    error EvaluatorOnlyEscrow(address caller);
    error EvaluatorNotJobEvaluator(uint256 jobId);
    error EvaluatorInvalidConfig(uint256 window, uint256 minStakeBps, uint256 bondBps);
    error EvaluatorWindowTooLong(uint256 window, uint256 evaluationPeriod);
    error EvaluatorJobNotSubmitted(uint256 jobId, IJobEscrow.Status status);
    error EvaluatorAlreadySettled(uint256 jobId);
    error EvaluatorNotSettled(uint256 jobId);
    error EvaluatorWindowClosed(uint256 jobId, uint256 closedAt);
    error EvaluatorWindowOpen(uint256 jobId, uint256 closesAt);
    error EvaluatorClientCannotStake(uint256 jobId);
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

    // ----------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------

    /// @notice The client set the job's check at creation.
    event CheckConfigured(uint256 indexed jobId, uint256 window, uint256 minStakeBps, uint256 bondBps);
    /// @notice `staker` added `amount` of `token` to its stake on `pass`.
    event Staked(uint256 indexed jobId, address indexed staker, address indexed token, bool pass, uint256 amount);
    /// @notice The check decided the job; `reason` was passed to the escrow and commits to these figures.
    event CheckSettled(
        uint256 indexed jobId, bool passed, uint256 passTotal, uint256 failTotal, uint256 bondPosted, bytes32 reason
    );
    /// @notice Every stake on the job is returned: it expired before settlement, or nobody backed the
    /// side that won.
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

    /// @dev A job's check, packed into one word and read and written through {CheckFields}, so that it
    /// costs one SLOAD and one SSTORE and lives on the stack (the compiler splits a struct's write into
    /// several SSTOREs and copies structs through memory). Fields from the lowest bit: `passTotal` (96
    /// bits), `failTotal` (96), `window` (24), `minStakeBps` (16), `bondBps` (16), `verdict` (8).
    /// `window == 0`: not configured, the defaults apply. The totals are the pass and fail stakes until a
    /// Pass or Fail verdict; from then on `passTotal` holds the winners' stake not yet claimed and
    /// `failTotal` the reward (the losing side) not yet paid. Under a Void verdict they hold what is left
    /// of each side.
    type Check is uint256;

    /// @dev One slot per staker and job; the token is kept so claims need not ask the escrow.
    struct Stake {
        uint88 amount;
        bool pass;
        address token;
    }

    /// @notice A job's check as the outside sees it, with defaults applied and amounts resolved.
    struct CheckView {
        uint256 window;
        uint256 minStake;
        uint256 bond;
        uint256 passTotal;
        uint256 failTotal;
        Verdict verdict;
    }

    /// @notice Longest check window a job may ask for (30 days).
    uint256 public constant MAX_WINDOW = 30 days;
    /// @notice Largest minimum stake, in basis points of the budget (100%).
    uint256 public constant MAX_MIN_STAKE_BPS = 10_000;
    /// @notice Largest bond, in basis points of the budget (500%).
    uint256 public constant MAX_BOND_BPS = 50_000;

    /// @notice The escrow whose jobs this contract evaluates.
    IJobEscrow public immutable escrow;
    /// @notice Check window of jobs that set none, in seconds.
    uint256 public immutable defaultWindow;
    /// @notice Minimum stake of jobs that set none, in basis points of the budget (at least 1 base unit).
    uint256 public immutable defaultMinStakeBps;
    /// @notice Bond of jobs that set none, in basis points of the budget.
    uint256 public immutable defaultBondBps;

    mapping(uint256 jobId => Check) private _checks;
    mapping(uint256 jobId => mapping(address staker => Stake)) private _stakes;

    constructor(IJobEscrow escrow_, uint256 defaultWindow_, uint256 defaultMinStakeBps_, uint256 defaultBondBps_) {
        _validateConfig(defaultWindow_, defaultMinStakeBps_, defaultBondBps_);
        escrow = escrow_;
        defaultWindow = defaultWindow_;
        defaultMinStakeBps = defaultMinStakeBps_;
        defaultBondBps = defaultBondBps_;
    }

    // ----------------------------------------------------------------------------------------------
    // External
    // ----------------------------------------------------------------------------------------------

    /// @notice Sets a job's check from `abi.encode(uint256 window, uint256 minStakeBps, uint256 bondBps)`.
    /// Called by the escrow in the job's creating transaction; `window` 0 takes {defaultWindow}. The window
    /// must end before the job's evaluation period does, so there is time to settle before the client
    /// may claim a refund.
    /// Emits {CheckConfigured}.
    function configureJob(uint256 jobId, address, bytes calldata data) external {
        if (msg.sender != address(escrow)) revert EvaluatorOnlyEscrow(msg.sender);
        (uint256 window, uint256 minStakeBps, uint256 bondBps) = abi.decode(data, (uint256, uint256, uint256));
        if (window == 0) window = defaultWindow;
        _validateConfig(window, minStakeBps, bondBps);
        (, uint256 evaluationPeriod) = escrow.jobEvaluator(jobId);
        if (window >= evaluationPeriod) revert EvaluatorWindowTooLong(window, evaluationPeriod);
        _checks[jobId] = CheckFields.pack(0, 0, uint24(window), uint16(minStakeBps), uint16(bondBps), Verdict.None);
        emit CheckConfigured(jobId, window, minStakeBps, bondBps);
    }

    /// @notice Stakes `amount` of the job's token on whether its submitted work passes. Anyone but the
    /// client, during the check window; the provider only on pass (its bond). A staker stays on one side
    /// and may add to its stake. Native jobs send `amount` as value; ERC-20 jobs need an allowance.
    /// Emits {Staked}.
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
        if (msg.sender == provider && !pass) revert EvaluatorProviderMustStakePass(jobId);

        Stake storage position = _stakes[jobId][msg.sender];
        (uint256 previous, bool previousPass) = (position.amount, position.pass);
        if (previous != 0 && previousPass != pass) revert EvaluatorSideConflict(jobId, previousPass);
        uint256 total = previous + amount;
        uint256 minStake = _minStake(check, budget);
        if (amount == 0 || total < minStake) revert EvaluatorStakeTooSmall(jobId, total, minStake);
        (uint96 passTotal, uint96 failTotal) = (check.passTotal(), check.failTotal());
        uint256 sideTotal = (pass ? passTotal : failTotal) + amount;
        if (total > type(uint88).max || sideTotal > type(uint96).max) revert EvaluatorStakeTooLarge(jobId, total);

        (position.amount, position.pass, position.token) = (uint88(total), pass, token);
        _checks[jobId] = pass
            ? check.withTotals(uint96(sideTotal), failTotal)
            : check.withTotals(passTotal, uint96(sideTotal));
        emit Staked(jobId, msg.sender, token, pass, amount);
        _collect(token, amount);
    }

    /// @notice Decides a Submitted job after its check window and completes or rejects it on the escrow;
    /// or, for a job that expired meanwhile, voids the check so every stake is returned. Anyone may call.
    /// Emits {CheckSettled} or {CheckVoided}.
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

        uint256 bondPosted = _stakes[jobId][provider].amount;
        bool passed = bondPosted >= _bond(check, budget) && check.passTotal() >= check.failTotal();
        _decide(jobId, check, bondPosted, passed);
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
        _decide(jobId, check, _stakes[jobId][provider].amount, true);
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

    /// @notice The job's check with defaults applied. Amounts are resolved against the job's budget.
    /// Once a Pass or Fail verdict is in, the totals are what remains to be claimed (see {Check}).
    function getCheck(uint256 jobId) external view returns (CheckView memory) {
        Check check = _checks[jobId];
        if (check.window() == 0) {
            (, uint256 evaluationPeriod) = escrow.jobEvaluator(jobId);
            check = _withDefaults(check, evaluationPeriod);
        }
        (,,,,, uint256 budget) = escrow.jobForEvaluator(jobId);
        return CheckView({
            window: check.window(),
            minStake: _minStake(check, budget),
            bond: _bond(check, budget),
            passTotal: check.passTotal(),
            failTotal: check.failTotal(),
            verdict: check.verdict()
        });
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

    /// @dev Records the verdict in one write and passes it to the escrow.
    function _decide(uint256 jobId, Check check, uint256 bondPosted, bool passed) private {
        (uint96 passTotal, uint96 failTotal) = (check.passTotal(), check.failTotal());
        (uint96 winners, uint96 losers) = passed ? (passTotal, failTotal) : (failTotal, passTotal);
        // Nobody backed the winning side: there is nobody to pay, so every stake goes back.
        bool void = winners == 0 && losers != 0;
        _checks[jobId] = void
            ? check.withVerdict(Verdict.Void)
            : check.withTotals(winners, losers).withVerdict(passed ? Verdict.Pass : Verdict.Fail);
        if (void) emit CheckVoided(jobId);
        bytes32 reason = keccak256(abi.encode(jobId, passed, passTotal, failTotal, bondPosted));
        emit CheckSettled(jobId, passed, passTotal, failTotal, bondPosted, reason);
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
            // Cannot overflow (a uint88 times a uint96) and `amount < winners`, so `share < reward`.
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

    /// @dev The job's check with the defaults applied, once this contract knows it is the job's
    /// evaluator. A check with a window is known: {configureJob} comes only from the escrow and only for
    /// the job's own evaluator, and the first write of an unconfigured check stores the defaults, after
    /// this function asked the escrow. So only a check with no window yet costs the question.
    function _knownCheck(uint256 jobId) private view returns (Check check) {
        check = _checks[jobId];
        if (check.window() == 0) {
            (address jobsEvaluator, uint256 evaluationPeriod) = escrow.jobEvaluator(jobId);
            if (jobsEvaluator != address(this)) revert EvaluatorNotJobEvaluator(jobId);
            check = _withDefaults(check, evaluationPeriod);
        }
    }

    /// @dev The defaults for a job that set none. The window is cut to half the job's evaluation period
    /// when the default would not end well before it: {configureJob} enforces the same for configured
    /// checks, so that there is always time to settle before the client may claim a refund.
    /// The immutables were validated in the constructor, so they fit their fields.
    function _withDefaults(Check check, uint256 evaluationPeriod) private view returns (Check) {
        uint256 window = defaultWindow;
        if (window >= evaluationPeriod) window = evaluationPeriod > 1 ? evaluationPeriod / 2 : 1;
        return CheckFields.pack(
            check.passTotal(),
            check.failTotal(),
            uint24(window),
            uint16(defaultMinStakeBps),
            uint16(defaultBondBps),
            check.verdict()
        );
    }

    /// @dev `submittedAt` comes from the escrow's uint40 and `window` is a uint24: no overflow.
    function _closesAt(uint256 submittedAt, Check check) private pure returns (uint256) {
        unchecked {
            return submittedAt + check.window();
        }
    }

    /// @dev Budgets are at most a uint96 in the escrow and basis points a uint16: no overflow.
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

    function _validateConfig(uint256 window, uint256 minStakeBps, uint256 bondBps) private pure {
        if (window == 0 || window > MAX_WINDOW || minStakeBps > MAX_MIN_STAKE_BPS || bondBps > MAX_BOND_BPS) {
            revert EvaluatorInvalidConfig(window, minStakeBps, bondBps);
        }
    }
}

/// @title CheckFields
/// @dev Field access for {StakedEvaluator-Check}. Setters take values typed to their field's width, so
/// no field can spill into the next.
library CheckFields {
    uint256 private constant _TOTALS_MASK = (1 << 192) - 1;
    uint256 private constant _VERDICT_SHIFT = 248;

    function pack(
        uint96 passTotal_,
        uint96 failTotal_,
        uint24 window_,
        uint16 minStakeBps_,
        uint16 bondBps_,
        StakedEvaluator.Verdict verdict_
    ) internal pure returns (StakedEvaluator.Check) {
        return StakedEvaluator.Check.wrap(
            uint256(passTotal_) | (uint256(failTotal_) << 96) | (uint256(window_) << 192)
                | (uint256(minStakeBps_) << 216) | (uint256(bondBps_) << 232)
                | (uint256(verdict_) << _VERDICT_SHIFT)
        );
    }

    function passTotal(StakedEvaluator.Check check) internal pure returns (uint96) {
        return uint96(StakedEvaluator.Check.unwrap(check));
    }

    function failTotal(StakedEvaluator.Check check) internal pure returns (uint96) {
        return uint96(StakedEvaluator.Check.unwrap(check) >> 96);
    }

    function window(StakedEvaluator.Check check) internal pure returns (uint256) {
        return uint24(StakedEvaluator.Check.unwrap(check) >> 192);
    }

    function minStakeBps(StakedEvaluator.Check check) internal pure returns (uint256) {
        return uint16(StakedEvaluator.Check.unwrap(check) >> 216);
    }

    function bondBps(StakedEvaluator.Check check) internal pure returns (uint256) {
        return uint16(StakedEvaluator.Check.unwrap(check) >> 232);
    }

    function verdict(StakedEvaluator.Check check) internal pure returns (StakedEvaluator.Verdict) {
        return StakedEvaluator.Verdict(uint8(StakedEvaluator.Check.unwrap(check) >> _VERDICT_SHIFT));
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

    function withVerdict(StakedEvaluator.Check check, StakedEvaluator.Verdict verdict_)
        internal
        pure
        returns (StakedEvaluator.Check)
    {
        return StakedEvaluator.Check.wrap(
            (StakedEvaluator.Check.unwrap(check) & ~(uint256(0xff) << _VERDICT_SHIFT))
                | (uint256(verdict_) << _VERDICT_SHIFT)
        );
    }
}
