// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title GuildTestToken
/// @notice A stand-in for a USD stablecoin on local and test chains: 6 decimals, and anyone may mint.
/// Never deploy it where its balances are meant to be worth anything.
contract GuildTestToken is ERC20, ERC20Permit {
    constructor() ERC20("Guild Test USD", "gUSD") ERC20Permit("Guild Test USD") {}

    /// @notice 6, like the USD stablecoins it stands in for.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` base units to `to`. Open to anyone: this is a test token.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
