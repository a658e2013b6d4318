// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
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

    /// @dev One slot. `window == 0`: not configured, the defaults apply. The totals are the pass and fail
    /// stakes until a Pass or Fail verdict; from then on `passTotal` holds the winners' stake not yet
    /// claimed and `failTotal` the reward (the losing side) not yet paid. Under a Void verdict they hold
    /// what is left of each side.
    struct Check {
        uint96 passTotal;
        uint96 failTotal;
        uint24 window;
        uint16 minStakeBps;
        uint16 bondBps;
        Verdict verdict;
    }

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
        uint256 evaluationPeriod = escrow.getJob(jobId).evaluationPeriod;
        if (window >= evaluationPeriod) revert EvaluatorWindowTooLong(window, evaluationPeriod);
        _checks[jobId] = Check({
            passTotal: 0,
            failTotal: 0,
            window: uint24(window),
            minStakeBps: uint16(minStakeBps),
            bondBps: uint16(bondBps),
            verdict: Verdict.None
        });
        emit CheckConfigured(jobId, window, minStakeBps, bondBps);
    }

    /// @notice Stakes `amount` of the job's token on whether its submitted work passes. Anyone but the
    /// client, during the check window; the provider only on pass (its bond). A staker stays on one side
    /// and may add to its stake. Native jobs send `amount` as value; ERC-20 jobs need an allowance.
    /// Emits {Staked}.
    function stake(uint256 jobId, bool pass, uint256 amount) external payable nonReentrant {
        IJobEscrow.Job memory job = _job(jobId);
        if (job.status != IJobEscrow.Status.Submitted) revert EvaluatorJobNotSubmitted(jobId, job.status);
        Check memory check = _checkOf(jobId);
        if (check.verdict != Verdict.None) revert EvaluatorAlreadySettled(jobId);
        uint256 closesAt = job.submittedAt + check.window;
        if (block.timestamp >= closesAt) revert EvaluatorWindowClosed(jobId, closesAt);
        if (msg.sender == job.client) revert EvaluatorClientCannotStake(jobId);
        if (msg.sender == job.provider && !pass) revert EvaluatorProviderMustStakePass(jobId);

        Stake storage position = _stakes[jobId][msg.sender];
        uint256 previous = position.amount;
        if (previous != 0 && position.pass != pass) revert EvaluatorSideConflict(jobId, position.pass);
        uint256 total = previous + amount;
        uint256 minStake = _minStake(check, job.budget);
        if (amount == 0 || total < minStake) revert EvaluatorStakeTooSmall(jobId, total, minStake);
        uint256 sideTotal = (pass ? check.passTotal : check.failTotal) + amount;
        if (total > type(uint88).max || sideTotal > type(uint96).max) revert EvaluatorStakeTooLarge(jobId, total);

        _stakes[jobId][msg.sender] = Stake({amount: uint88(total), pass: pass, token: job.token});
        Check storage stored = _checks[jobId];
        if (pass) stored.passTotal = uint96(sideTotal);
        else stored.failTotal = uint96(sideTotal);
        emit Staked(jobId, msg.sender, job.token, pass, amount);
        _collect(job.token, amount);
    }

    /// @notice Decides a Submitted job after its check window and completes or rejects it on the escrow;
    /// or, for a job that expired meanwhile, voids the check so every stake is returned. Anyone may call.
    /// Emits {CheckSettled} or {CheckVoided}.
    function settle(uint256 jobId) external nonReentrant {
        IJobEscrow.Job memory job = _job(jobId);
        Check memory check = _checkOf(jobId);
        if (check.verdict != Verdict.None) revert EvaluatorAlreadySettled(jobId);
        if (job.status == IJobEscrow.Status.Expired) {
            _checks[jobId].verdict = Verdict.Void;
            emit CheckVoided(jobId);
            return;
        }
        if (job.status != IJobEscrow.Status.Submitted) revert EvaluatorNotSettleable(jobId, job.status);
        uint256 closesAt = job.submittedAt + check.window;
        if (block.timestamp < closesAt) revert EvaluatorWindowOpen(jobId, closesAt);

        uint256 bondPosted = _stakes[jobId][job.provider].amount;
        bool passed = bondPosted >= _bond(check, job.budget) && check.passTotal >= check.failTotal;
        _decide(jobId, check, bondPosted, passed);
    }

    /// @notice The client accepts the work before the window closes, while no stake says fail.
    /// Pass stakers (the provider's bond among them) get their stakes back.
    /// Emits {CheckSettled}.
    function approve(uint256 jobId) external nonReentrant {
        IJobEscrow.Job memory job = _job(jobId);
        if (msg.sender != job.client) revert EvaluatorUnauthorized(jobId, msg.sender);
        if (job.status != IJobEscrow.Status.Submitted) revert EvaluatorJobNotSubmitted(jobId, job.status);
        Check memory check = _checks[jobId];
        if (check.verdict != Verdict.None) revert EvaluatorAlreadySettled(jobId);
        if (check.failTotal != 0) revert EvaluatorFailStakePresent(jobId, check.failTotal);
        _decide(jobId, check, _stakes[jobId][job.provider].amount, true);
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
        Check memory check = _checkOf(jobId);
        uint256 budget = escrow.getJob(jobId).budget;
        return CheckView({
            window: check.window,
            minStake: _minStake(check, budget),
            bond: _bond(check, budget),
            passTotal: check.passTotal,
            failTotal: check.failTotal,
            verdict: check.verdict
        });
    }

    /// @notice `staker`'s unclaimed stake on a job and its side.
    function stakeOf(uint256 jobId, address staker) external view returns (uint256 amount, bool pass) {
        Stake memory position = _stakes[jobId][staker];
        return (position.amount, position.pass);
    }

    /// @notice What {claim} would pay `staker` now (0 before settlement or for a losing stake).
    function claimable(uint256 jobId, address staker) external view returns (uint256 payout) {
        Check memory check = _checks[jobId];
        Stake memory position = _stakes[jobId][staker];
        if (check.verdict == Verdict.None || position.amount == 0) return 0;
        (payout,) = _payoutOf(check, position);
    }

    // ----------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------

    function _decide(uint256 jobId, Check memory check, uint256 bondPosted, bool passed) private {
        (uint96 passTotal, uint96 failTotal) = (check.passTotal, check.failTotal);
        (uint96 winners, uint96 losers) = passed ? (passTotal, failTotal) : (failTotal, passTotal);
        Check storage stored = _checks[jobId];
        if (winners == 0 && losers != 0) {
            // Nobody backed the winning side: there is nobody to pay, so every stake goes back.
            stored.verdict = Verdict.Void;
            emit CheckVoided(jobId);
        } else {
            (stored.passTotal, stored.failTotal, stored.verdict) =
                (winners, losers, passed ? Verdict.Pass : Verdict.Fail);
        }
        bytes32 reason = keccak256(abi.encode(jobId, passed, passTotal, failTotal, bondPosted));
        emit CheckSettled(jobId, passed, passTotal, failTotal, bondPosted, reason);
        if (passed) escrow.complete(jobId, reason);
        else escrow.reject(jobId, reason);
    }

    function _claim(uint256 jobId, address to) private returns (uint256 payout) {
        Check memory check = _checks[jobId];
        if (check.verdict == Verdict.None) revert EvaluatorNotSettled(jobId);
        Stake memory position = _stakes[jobId][msg.sender];
        if (position.amount == 0) revert EvaluatorNothingToClaim(jobId, msg.sender);
        Check memory left;
        (payout, left) = _payoutOf(check, position);

        delete _stakes[jobId][msg.sender];
        emit StakeClaimed(jobId, msg.sender, position.token, to, position.amount, payout);
        if (payout == 0) return 0;
        Check storage stored = _checks[jobId];
        (stored.passTotal, stored.failTotal) = (left.passTotal, left.failTotal);
        if (position.token == address(0)) {
            (bool ok,) = to.call{value: payout}("");
            if (!ok) revert EvaluatorClaimFailed(to, payout);
        } else {
            IERC20(position.token).safeTransfer(to, payout);
        }
    }

    /// @dev What a position is paid, and the check's totals after paying it.
    function _payoutOf(Check memory check, Stake memory position)
        private
        pure
        returns (uint256 payout, Check memory left)
    {
        uint96 amount = position.amount;
        left = check;
        if (check.verdict == Verdict.Void) {
            if (position.pass) left.passTotal -= amount;
            else left.failTotal -= amount;
            return (amount, left);
        }
        if (position.pass != (check.verdict == Verdict.Pass)) return (0, left);
        // Winner: pro-rata share of the reward left, the last winner taking the remainder.
        uint256 reward =
            amount == check.passTotal ? check.failTotal : Math.mulDiv(amount, check.failTotal, check.passTotal);
        left.passTotal = check.passTotal - amount;
        left.failTotal = check.failTotal - uint96(reward);
        return (amount + reward, left);
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

    function _job(uint256 jobId) private view returns (IJobEscrow.Job memory job) {
        job = escrow.getJob(jobId);
        if (job.evaluator != address(this)) revert EvaluatorNotJobEvaluator(jobId);
    }

    function _checkOf(uint256 jobId) private view returns (Check memory check) {
        check = _checks[jobId];
        if (check.window == 0) {
            check.window = uint24(defaultWindow);
            check.minStakeBps = uint16(defaultMinStakeBps);
            check.bondBps = uint16(defaultBondBps);
        }
    }

    function _minStake(Check memory check, uint256 budget) private pure returns (uint256) {
        uint256 minStake = budget * check.minStakeBps / 10_000;
        return minStake == 0 ? 1 : minStake;
    }

    function _bond(Check memory check, uint256 budget) private pure returns (uint256) {
        return budget * check.bondBps / 10_000;
    }

    function _validateConfig(uint256 window, uint256 minStakeBps, uint256 bondBps) private pure {
        if (window == 0 || window > MAX_WINDOW || minStakeBps > MAX_MIN_STAKE_BPS || bondBps > MAX_BOND_BPS) {
            revert EvaluatorInvalidConfig(window, minStakeBps, bondBps);
        }
    }
}
