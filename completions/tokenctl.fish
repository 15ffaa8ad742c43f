# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tokenctl_global_optspecs
    string join \n file= t/tenant= root= policy= o/format= color= lock-timeout= h/help V/version
end

function __fish_tokenctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    # An option still waiting for its value (`tokenctl --format <TAB>`) fails argparse:
    # no command yet, then.
    argparse -s (__fish_tokenctl_global_optspecs) -- $cmd 2>/dev/null
    or return 0
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tokenctl_using_subcommand
    set -l cmd (__fish_tokenctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tokenctl -n "__fish_tokenctl_needs_command" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_needs_command" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_needs_command" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_needs_command" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_needs_command" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_needs_command" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_needs_command" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -s V -l version -d 'Print version'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "create" -d 'Create a key and print its secret once'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "list" -d 'List keys, most recently used first (never a hash or a secret)'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "show" -d 'Show one key\'s definition and usage'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "update" -d 'Change a key\'s permissions, state, description, owner, expiry or restrictions'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "delete" -d 'Delete a key (or every key with --all); it stops working at once'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "rotate" -d 'Give a key a new secret, keeping its definition'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "rename" -d 'Rename a key: its secret, permissions and everything else stay'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "verify" -d 'Verify a token read from stdin and say why it fails'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "check" -d 'Validate a security.yml without changing it (exit 7 on problems)'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "apply" -d 'Make the file\'s keys match a desired-state file (declarative; for config management)'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "scan" -d 'Find tokenctl secrets in files or stdin and say whose each is (never printing them)'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "schema" -d 'Print the JSON Schema of security.yml (or of the desired state, or the API)'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "diff" -d 'Show what changes between two versions of a file, key by key, and what widens'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "policy" -d 'policy show: the policy in force for a file, rule by rule, and where each comes from'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "export" -d 'Print a Kubernetes Secret or ConfigMap holding the file byte for byte'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "rollout" -d 'rollout status: wait until every server serves the file as it is now'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "serve" -d 'Serve the tenant admin REST API over the same files'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c tokenctl -n "__fish_tokenctl_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -s p -l permission -d 'Grant a permission scope (repeatable): dns:read, dns:*, *' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l description -d 'Free text saying what the key is for' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l owner -d 'Who the key belongs to, a team or a contact (1 to 128 printable characters)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l expires -d 'Expiry: a duration from now (30d, 3mo, 1y; units y, mo, w, d, h, min, s, ms), a date (2027-01-01), an RFC 3339 time, or never' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l allow-ip -d 'Allow use only from this address range (repeatable), e.g. 203.0.113.0/24' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l path-prefix -d 'Allow use only on paths starting with this (=/x: exactly /x)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l resource -d 'Allow use only on this resource (repeatable)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l copy-for -d 'Copy, and clear the clipboard after this long instead of 45s (unless something else was copied since), e.g. 2m; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l if-unchanged -d 'Write only if the file\'s SHA-256 is still this, else exit 6: `sha256sum`\'s line, its 64 hex digits, or sha256:HEX' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l file-owner -d 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l file-group -d 'Give the file written this group (a group name or id), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l file-mode -d 'Give the file written this mode (octal, like 0600), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l disabled -d 'Create the key disabled'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l secret-stdin -d 'Read the secret from stdin instead of generating one (32 to 512 printable ASCII characters, no whitespace)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l copy -d 'Also copy the secret to the clipboard; it is cleared after 45s (see --copy-for)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -s q -l quiet -d 'Print only the secret'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -s y -l yes -d 'Never prompt: without NAME, fail instead of opening the form'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l if-missing -d 'Succeed without a word on stdout when the key exists already (leaving it as it is)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -l new-tenant -d 'Allow creating the file of a tenant that does not exist yet (--tenant only; not needed for the first tenant under a --root or TOKENCTL_ROOT that holds none)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l expiring-within -d 'Only keys that expire within this duration (and have not yet), e.g. 7d; units y, mo, w, d, h, min, s, ms' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l unused-since -d 'Only keys not used within this duration (or never used), e.g. 30d; units y, mo, w, d, h, min, s, ms' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l permission -d 'Only keys that grant this permission (as the scope itself, `*` or `resource:*`)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l usage-from -d 'Also take LAST USED from the fleet: a Prometheus (base URL) scraping gates run with --metrics-keys; the later of its time and security.usage.yml\'s wins' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l prometheus-token-file -d 'Read the bearer token for the Prometheus of --usage-from from this file (its first line; never give a token on the command line)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l tenant-label -d 'The tenant\'s name as the gates report it (default: --tenant, or `default` for --file)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l expired -d 'Only keys whose expiry has passed'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l enabled -d 'Only enabled keys'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l disabled -d 'Only disabled keys'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -s q -l names -d 'Print only the names, one a line (for xargs); every filter applies'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l missing-ok -d 'List a file that does not exist (with --all-tenants: a root that holds no tenant) as empty instead of failing (exit 1)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l unrestricted -d 'Only keys with no allowedIps, pathPrefix or resources restriction'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l all-tenants -d 'The keys of every tenant under --root, with a TENANT column (--file and --tenant are ignored)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -l policy-violations -d 'Only keys that break the policy in force (the file\'s policy:, <root>/policy.yml, --policy), one row per broken rule with what would satisfy it; with -q their names'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand show" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand show" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand show" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand show" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand show" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand show" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand show" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -s p -l permission -d 'Replace the permissions with these (repeatable)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l add-permission -d 'Add a permission (repeatable)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l remove-permission -d 'Remove a permission (repeatable)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l description -d 'New description ("" removes it)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l owner -d 'New owner, a team or a contact (1 to 128 printable characters)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l expires -d 'New expiry: a duration from now (30d, 3mo, 1y; units y, mo, w, d, h, min, s, ms), a date (2027-01-01), an RFC 3339 time, or never' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l allow-ip -d 'Also allow use from this address range (repeatable), e.g. 203.0.113.0/24' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l remove-allow-ip -d 'Stop allowing this address range (repeatable; not the last one: see --clear-allow-ips)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l path-prefix -d 'Allow use only on paths starting with this (=/x: exactly /x), replacing any prefix' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l resource -d 'Also allow use on this resource (repeatable)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l remove-resource -d 'Stop allowing this resource (repeatable; not the last one: see --clear-resources)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l if-unchanged -d 'Write only if the file\'s SHA-256 is still this, else exit 6: `sha256sum`\'s line, its 64 hex digits, or sha256:HEX' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l file-owner -d 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l file-group -d 'Give the file written this group (a group name or id), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l file-mode -d 'Give the file written this mode (octal, like 0600), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l enable -d 'Enable the key'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l disable -d 'Disable the key (it stops working at once)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l clear-permissions -d 'Remove every permission'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l clear-owner -d 'Remove the owner'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l clear-allow-ips -d 'Lift the address restriction: the key may be used from any address'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l clear-path-prefix -d 'Lift the path restriction: the key may be used on any path'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -l clear-resources -d 'Lift the resource restriction: the key may be used on any resource'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l if-unchanged -d 'Write only if the file\'s SHA-256 is still this, else exit 6: `sha256sum`\'s line, its 64 hex digits, or sha256:HEX' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l file-owner -d 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l file-group -d 'Give the file written this group (a group name or id), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l file-mode -d 'Give the file written this mode (octal, like 0600), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l all -d 'Delete every key in the file'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -l ignore-missing -d 'Succeed (exit 0) when the key, or the file, is not there'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -s y -l yes -d 'Do not ask (required when stdin is not a terminal)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l grace -d 'Keep the old secret valid this long, e.g. 24h; units y, mo, w, d, h, min, s, ms' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l copy-for -d 'Copy, and clear the clipboard after this long instead of 45s (unless something else was copied since), e.g. 2m; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l if-unchanged -d 'Write only if the file\'s SHA-256 is still this, else exit 6: `sha256sum`\'s line, its 64 hex digits, or sha256:HEX' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l file-owner -d 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l file-group -d 'Give the file written this group (a group name or id), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l file-mode -d 'Give the file written this mode (octal, like 0600), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l end-grace -d 'End the grace period of an earlier rotation now: its old secrets stop working; the key keeps its current secret (none is made). Once `rollout status` says every server has the new hash'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -l copy -d 'Also copy the secret to the clipboard; it is cleared after 45s (see --copy-for)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -s q -l quiet -d 'Print only the secret'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l if-unchanged -d 'Write only if the file\'s SHA-256 is still this, else exit 6: `sha256sum`\'s line, its 64 hex digits, or sha256:HEX' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l file-owner -d 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l file-group -d 'Give the file written this group (a group name or id), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l file-mode -d 'Give the file written this mode (octal, like 0600), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rename" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l permission -d 'Require this permission' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l ip -d 'The client\'s address' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l path -d 'The request path' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l resource -d 'The resource requested' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -l record -d 'On success, record the use in security.usage.yml'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l warn-expiring -d 'Also warn of keys that expire within this duration (e.g. 14d; units y, mo, w, d, h, min, s, ms), and expired keys; warnings exit 0 unless --strict' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l strict -d 'Fail (exit 7) on warnings too'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l all-tenants -d 'Check the security.yml of every tenant under --root'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l k8s -d 'The file is (or will be) mounted from a Kubernetes Secret or ConfigMap: warn as it nears their 1 MiB limit, and take a group-readable mode (defaultMode 0440) as right. Found by itself for a file behind a `..data` link, as the kubelet mounts one'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -l fix -d 'First rewrite what lies outside portable security.yml and can be rewritten without changing what any YAML library reads (quotes, uppercase T/Z, no !!str, aliases expanded, `apiKeys: {}`), as a proven write; then check'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -s f -l desired -d 'The desired-state file (`-` for stdin): `apiKeys:` of name -> fields, or name -> fields' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l if-unchanged -d 'Write only if the file\'s SHA-256 is still this, else exit 6: `sha256sum`\'s line, its 64 hex digits, or sha256:HEX' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l file-owner -d 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l file-group -d 'Give the file written this group (a group name or id), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l file-mode -d 'Give the file written this mode (octal, like 0600), as --file-owner does' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l dry-run -d 'Print the plan and change nothing; exit 8 when there is something to do'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l prune -d 'Also delete keys the desired state does not list'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -s y -l yes -d 'Do not ask before --prune deletes (required when stdin is not a terminal)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -l new-tenant -d 'Allow creating the file of a tenant that does not exist yet (--tenant only; not needed for the first tenant under a --root or TOKENCTL_ROOT that holds none)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l fail-on -d 'Which findings make the exit code 10' -r -f -a "live\t'A secret that works: a live key\'s, or an old one in its rotation grace period'
unknown\t'Also a token of tokenctl\'s form that no key has (revoked, or another file\'s)'
any\t'Any token of tokenctl\'s form, whatever its key\'s state'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l all-tenants -d 'Look tokens up in every tenant under --root (--file and --tenant are ignored)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l hidden -d 'Also scan hidden files and folders, as `rg --hidden`'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -l no-ignore -d 'Scan files that .gitignore, .ignore or git\'s excludes leave out, as `rg --no-ignore`'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -l desired -d 'The schema of apply\'s desired-state file instead of security.yml\'s'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -l openapi -d 'The OpenAPI 3.1 document of `tokenctl serve`\'s admin API instead'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l git -d 'Compare the file as it is now with the file at this git revision (`git show REV:PATH` in the repository that holds it)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l fail-on -d 'Exit 11 when something widens access (a key added, a scope added, a restriction or an expiry lifted or loosened, a key enabled, a grace period given)' -r -f -a "widening\t'Something widens access'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l all-tenants -d 'With --git: every tenant\'s file under --root'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -l exit-code -d 'Exit 11 when there is any change'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -l namespace -d 'The object\'s namespace (metadata.namespace); none: kubectl\'s current one' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l endpoint -d 'A server\'s metrics listener (of serve --metrics-listen), as a base URL, http:// or https:// (repeatable); its /healthz says what it serves' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l prometheus -d 'A Prometheus (base URL) that scrapes the servers: each target reporting the tenant in tokenctl_file_info is a server, and each target of theirs that is down (up == 0) too' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l prometheus-token-file -d 'Read the bearer token for Prometheus from this file (its first line; never give a token on the command line)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l selector -d 'Narrow the Prometheus series to these labels, e.g. \'{job="gate"}\'' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l tenant-label -d 'The tenant\'s name as the servers report it (default: --tenant, or `default` for --file)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l digest -d 'Wait for this digest (sha256:<64 hex>, or what sha256sum prints) instead of the located file\'s; then no file is read' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l timeout -d 'Give up after this long (exit 12), e.g. 5m; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l interval -d 'Ask the servers again this often, e.g. 2s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l min-servers -d 'At least this many servers must serve the digest (more than one server is expected)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -l ignore-down -d 'Leave out servers that are down or unreachable, instead of counting them as lagging'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l listen -d 'Address and port to listen on (port 0: any free port, printed on stdout)' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l metrics-listen -d 'Serve `GET /metrics` (Prometheus text format) on this address, apart from the public listener; off by default' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l max-connections -d 'Most connections served at once; more wait to be accepted' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l header-timeout -d 'Time a client has to send a request\'s headers, e.g. 10s; units ms, s, m or min, h' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l idle-timeout -d 'Time a kept-alive connection may stay silent between requests, e.g. 60s; units ms, s, m or min, h' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l request-timeout -d 'Time a request may take once its headers are in, its body included, and time a client has to read its answers once they back up, e.g. 30s; units ms, s, m or min, h' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l shutdown-timeout -d 'Time the requests in flight get to finish after SIGTERM or SIGINT (then they are cut off and serve exits 1), e.g. 30s; units ms, s, m or min, h' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l trust-proxy -d 'Take the client\'s address from the last X-Forwarded-For entry (only behind a reverse proxy that sets it)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l record -d 'Record each key\'s use in security.usage.yml, the gate\'s and the admin API\'s (at most once a minute per key, batched, off the request\'s path)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l no-admin -d 'Serve only the gate (`/authz/...`) and `/healthz`: no admin API, and security.yml is never written'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l no-authz -d 'Serve only the admin API (`/api/...`) and `/healthz`: no gate'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l fail-closed -d 'The gate answers 500 for a tenant whose file changed into one that does not load, instead of judging on the last version that loaded (docs/GATE.md, "A file that does not load")'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -l metrics-keys -d 'Also give each key\'s last use as a metric, `tokenctl_key_last_used_timestamp_seconds` (key names are not public: only on the metrics listener)'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -l dir -d 'Write tokenctl.1 and one page per subcommand into this folder instead of printing' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -l file -d 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -s t -l tenant -d 'Tenant whose <root>/<tenant>/security.yml to use' -r
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -l root -d 'Folder holding one folder per tenant' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -l policy -d 'An operator\'s policy file, merged with <root>/policy.yml and the file\'s own policy: section; the tightest rule wins, so no file can loosen another' -r -F
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -s o -l format -d 'Output format for data on stdout' -r -f -a "table\t'A table fitted to the terminal (list drops or wraps columns when narrow)'
wide\t'A table with every column, never narrowed'
json\t''
yaml\t''
markdown\t'Markdown, for a pull-request comment (`diff` only)'"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -l color -d 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -l lock-timeout -d 'How long to wait for another tokenctl\'s lock on the file, e.g. 10s; units ms, s, m or min, h' -r -f
complete -c tokenctl -n "__fish_tokenctl_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenctl -n "__fish_tokenctl_using_subcommand policy" -f -a "show"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand export" -f -a "secret configmap"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand rollout" -f -a "status"
complete -c tokenctl -n "__fish_tokenctl_using_subcommand completions" -f -a "bash elvish fish powershell zsh"
