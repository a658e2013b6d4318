// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AgentRegistry
/// @notice Who can be hired: an agent registers its own wallet with a name, skills, a price (token and
/// amount) and a metadata URI, and may update or deactivate itself. A name belongs to one agent at a time.
/// Attacker: a second wallet registering as "bob" to be hired in bob's place. A name is claimed by its first
/// registrant and stays theirs (deactivated or not) until they rename; names are lowercase ASCII only, so
/// "Bob", "bob " and look-alike letters are not other spellings of "bob".
/// @dev Stores only what discovery needs on-chain (active flag, price, skill hashes); names, skill
/// strings and metadata URIs live in the events. Reputation is derived off-chain from the escrow's and
/// the evaluator's events, so nothing about it is stored here.
contract AgentRegistry {
    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    error RegistryAlreadyRegistered(address agent);
    error RegistryNotRegistered(address agent);
    error RegistryEmptyName();
    error RegistryInvalidName(string name);
    error RegistryNameTaken(string name, address owner);
    error RegistryTooManySkills(uint256 count, uint256 max);
    error RegistryEmptySkill(uint256 index);
    error RegistryDuplicateSkill(string skill);

    // ----------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------

    /// @notice `agent` registered, or (`AgentUpdated`) changed, its listing.
    event AgentRegistered(
        address indexed agent, string name, string[] skills, address priceToken, uint256 price, string metadataURI
    );
    /// @notice `agent` replaced its listing; the event carries the whole new listing.
    event AgentUpdated(
        address indexed agent, string name, string[] skills, address priceToken, uint256 price, string metadataURI
    );
    /// @notice One event per skill of a listing, so agents can be found by skill with a topic filter.
    event SkillListed(bytes32 indexed skill, address indexed agent);
    /// @notice `agent`'s listing was turned on or off; an inactive agent is not offered work.
    event AgentActiveSet(address indexed agent, bool active);

    // ----------------------------------------------------------------------------------------------
    // State
    // ----------------------------------------------------------------------------------------------

    struct Agent {
        address priceToken;
        bool registered;
        bool active;
        uint256 price;
        bytes32[] skills;
    }

    /// @notice Most skills one agent may list (bounds every loop in this contract).
    uint256 public constant MAX_SKILLS = 16;
    /// @notice Longest name, in bytes.
    uint256 public constant MAX_NAME_LENGTH = 32;

    mapping(address agent => Agent) private _agents;
    mapping(bytes32 nameHash => address agent) private _nameOwners;
    mapping(address agent => bytes32 nameHash) private _namesOf;
    address[] private _agentList;

    // ----------------------------------------------------------------------------------------------
    // External
    // ----------------------------------------------------------------------------------------------

    /// @notice Lists the caller as an active agent under `name`, which must be free: 1 to 32 of `a-z`, `0-9`,
    /// `-` and `_`, starting with a letter or digit. `price` is in base units of `priceToken`
    /// (`address(0)` for native ETH). Skills are short lowercase names such as "word-count".
    /// Emits {AgentRegistered} and one {SkillListed} per skill.
    function register(
        string calldata name,
        string[] calldata skills,
        address priceToken,
        uint256 price,
        string calldata metadataURI
    ) external {
        if (_isRegistered(msg.sender)) revert RegistryAlreadyRegistered(msg.sender);
        _claimName(name);
        _agentList.push(msg.sender);
        _store(skills, priceToken, price);
        emit AgentRegistered(msg.sender, name, skills, priceToken, price, metadataURI);
        emit AgentActiveSet(msg.sender, true);
    }

    /// @notice Replaces the caller's listing and makes it active. A new `name` must be free; the old one is
    /// released. Emits {AgentUpdated} and one {SkillListed} per skill.
    function update(
        string calldata name,
        string[] calldata skills,
        address priceToken,
        uint256 price,
        string calldata metadataURI
    ) external {
        if (!_isRegistered(msg.sender)) revert RegistryNotRegistered(msg.sender);
        _claimName(name);
        bool wasActive = _agents[msg.sender].active;
        _store(skills, priceToken, price);
        emit AgentUpdated(msg.sender, name, skills, priceToken, price, metadataURI);
        if (!wasActive) emit AgentActiveSet(msg.sender, true);
    }

    /// @notice Turns the caller's listing on or off; an inactive agent is not offered work.
    /// Emits {AgentActiveSet}.
    function setActive(bool active) external {
        if (!_isRegistered(msg.sender)) revert RegistryNotRegistered(msg.sender);
        _agents[msg.sender].active = active;
        emit AgentActiveSet(msg.sender, active);
    }

    /// @notice The listing of `agent` (all zero when never registered).
    function getAgent(address agent)
        external
        view
        returns (bool registered, bool active, address priceToken, uint256 price, bytes32[] memory skills)
    {
        Agent storage entry = _agents[agent];
        return (_isRegistered(agent), entry.active, entry.priceToken, entry.price, entry.skills);
    }

    /// @notice The agent that holds `name` (`address(0)` when nobody does).
    function agentByName(string calldata name) external view returns (address) {
        return _nameOwners[keccak256(bytes(name))];
    }

    /// @notice Whether `agent` lists `skill` (by `keccak256(bytes(name))`).
    function hasSkill(address agent, bytes32 skill) public view returns (bool) {
        bytes32[] storage skills = _agents[agent].skills;
        for (uint256 i = 0; i < skills.length; ++i) {
            if (skills[i] == skill) return true;
        }
        return false;
    }

    /// @notice Number of agents ever registered.
    function agentCount() external view returns (uint256) {
        return _agentList.length;
    }

    /// @notice Active agents with `skill`, from the page `[offset, offset + limit)` of all agents.
    /// Off-chain callers page through {agentCount}; the events carry names and metadata.
    function findAgents(bytes32 skill, uint256 offset, uint256 limit) external view returns (address[] memory found) {
        uint256 length = _agentList.length;
        if (offset >= length || limit == 0) return new address[](0);
        // Written so that no offset or limit can overflow.
        uint256 end = limit > length - offset ? length : offset + limit;
        found = new address[](end - offset);
        uint256 count;
        for (uint256 i = offset; i < end; ++i) {
            address agent = _agentList[i];
            if (_agents[agent].active && hasSkill(agent, skill)) {
                found[count] = agent;
                ++count;
            }
        }
        // Shrinks the array to the agents found: Solidity has no other way to shorten a memory array.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(found, count)
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------

    /// @dev Gives `name` to the caller (after checking its spelling), releasing the caller's previous name.
    function _claimName(string calldata name) private {
        bytes memory raw = bytes(name);
        if (raw.length == 0) revert RegistryEmptyName();
        if (raw.length > MAX_NAME_LENGTH) revert RegistryInvalidName(name);
        for (uint256 i = 0; i < raw.length; ++i) {
            bytes1 c = raw[i];
            bool letterOrDigit = (c >= "a" && c <= "z") || (c >= "0" && c <= "9");
            if (!letterOrDigit && (i == 0 || (c != "-" && c != "_"))) revert RegistryInvalidName(name);
        }
        bytes32 nameHash = keccak256(raw);
        address owner = _nameOwners[nameHash];
        if (owner == msg.sender) return;
        if (owner != address(0)) revert RegistryNameTaken(name, owner);
        bytes32 previous = _namesOf[msg.sender];
        if (previous != bytes32(0)) delete _nameOwners[previous];
        _nameOwners[nameHash] = msg.sender;
        _namesOf[msg.sender] = nameHash;
    }

    function _store(string[] calldata skills, address priceToken, uint256 price) private {
        if (skills.length > MAX_SKILLS) revert RegistryTooManySkills(skills.length, MAX_SKILLS);
        Agent storage entry = _agents[msg.sender];
        entry.registered = true;
        entry.active = true;
        entry.priceToken = priceToken;
        entry.price = price;
        delete entry.skills;
        for (uint256 i = 0; i < skills.length; ++i) {
            if (bytes(skills[i]).length == 0) revert RegistryEmptySkill(i);
            bytes32 skill = keccak256(bytes(skills[i]));
            for (uint256 j = 0; j < i; ++j) {
                if (entry.skills[j] == skill) revert RegistryDuplicateSkill(skills[i]);
            }
            entry.skills.push(skill);
            emit SkillListed(skill, msg.sender);
        }
    }

    function _isRegistered(address agent) private view returns (bool) {
        return _agents[agent].registered;
    }
}
