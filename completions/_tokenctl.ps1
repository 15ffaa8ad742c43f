
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'tokenctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'tokenctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'tokenctl' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a key and print its secret once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List keys, most recently used first (never a hash or a secret)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one key''s definition and usage')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a key''s permissions, state, description, expiry or restrictions')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a key (or every key with --all); it stops working at once')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Give a key a new secret, keeping its definition')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename a key: its secret, permissions and everything else stay')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify a token read from stdin and say why it fails')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a security.yml without changing it (exit 7 on problems)')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Make the file''s keys match a desired-state file (declarative; for config management)')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Find tokenctl secrets in files or stdin and say whose each is (never printing them)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of security.yml (or of the desired state, or the API)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print a Kubernetes Secret or ConfigMap holding the file byte for byte')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the tenant admin REST API over the same files')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            break
        }
        'tokenctl;create' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Grant a permission scope (repeatable): dns:read, dns:*, *')
            [CompletionResult]::new('--permission', '--permission', [CompletionResultType]::ParameterName, 'Grant a permission scope (repeatable): dns:read, dns:*, *')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'Free text saying what the key is for')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'Expiry: a duration from now (30d, 3mo, 1y; units y, mo, w, d, h, min, s, ms), a date (2027-01-01), an RFC 3339 time, or never')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'Allow use only from this address range (repeatable), e.g. 203.0.113.0/24')
            [CompletionResult]::new('--path-prefix', '--path-prefix', [CompletionResultType]::ParameterName, 'Allow use only on paths starting with this (=/x: exactly /x)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Allow use only on this resource (repeatable)')
            [CompletionResult]::new('--copy-for', '--copy-for', [CompletionResultType]::ParameterName, 'Copy, and clear the clipboard after this long instead of 45s (unless something else was copied since), e.g. 2m; units ms, s, m or min, h')
            [CompletionResult]::new('--if-unchanged', '--if-unchanged', [CompletionResultType]::ParameterName, 'Write only if the file''s SHA-256 is still this, else exit 6: `sha256sum`''s line, its 64 hex digits, or sha256:HEX')
            [CompletionResult]::new('--file-owner', '--file-owner', [CompletionResultType]::ParameterName, 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only')
            [CompletionResult]::new('--file-group', '--file-group', [CompletionResultType]::ParameterName, 'Give the file written this group (a group name or id), as --file-owner does')
            [CompletionResult]::new('--file-mode', '--file-mode', [CompletionResultType]::ParameterName, 'Give the file written this mode (octal, like 0600), as --file-owner does')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--disabled', '--disabled', [CompletionResultType]::ParameterName, 'Create the key disabled')
            [CompletionResult]::new('--secret-stdin', '--secret-stdin', [CompletionResultType]::ParameterName, 'Read the secret from stdin instead of generating one (32 to 512 printable ASCII characters, no whitespace)')
            [CompletionResult]::new('--copy', '--copy', [CompletionResultType]::ParameterName, 'Also copy the secret to the clipboard; it is cleared after 45s (see --copy-for)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the secret')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the secret')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never prompt: without NAME, fail instead of opening the form')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never prompt: without NAME, fail instead of opening the form')
            [CompletionResult]::new('--if-missing', '--if-missing', [CompletionResultType]::ParameterName, 'Succeed without a word on stdout when the key exists already (leaving it as it is)')
            [CompletionResult]::new('--new-tenant', '--new-tenant', [CompletionResultType]::ParameterName, 'Allow creating the file of a tenant that does not exist yet (--tenant only; not needed for the first tenant under a --root or TOKENCTL_ROOT that holds none)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;list' {
            [CompletionResult]::new('--expiring-within', '--expiring-within', [CompletionResultType]::ParameterName, 'Only keys that expire within this duration (and have not yet), e.g. 7d; units y, mo, w, d, h, min, s, ms')
            [CompletionResult]::new('--unused-since', '--unused-since', [CompletionResultType]::ParameterName, 'Only keys not used within this duration (or never used), e.g. 30d; units y, mo, w, d, h, min, s, ms')
            [CompletionResult]::new('--permission', '--permission', [CompletionResultType]::ParameterName, 'Only keys that grant this permission (as the scope itself, `*` or `resource:*`)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Only keys whose expiry has passed')
            [CompletionResult]::new('--enabled', '--enabled', [CompletionResultType]::ParameterName, 'Only enabled keys')
            [CompletionResult]::new('--disabled', '--disabled', [CompletionResultType]::ParameterName, 'Only disabled keys')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the names, one a line (for xargs); every filter applies')
            [CompletionResult]::new('--names', '--names', [CompletionResultType]::ParameterName, 'Print only the names, one a line (for xargs); every filter applies')
            [CompletionResult]::new('--missing-ok', '--missing-ok', [CompletionResultType]::ParameterName, 'List a file that does not exist (with --all-tenants: a root that holds no tenant) as empty instead of failing (exit 1)')
            [CompletionResult]::new('--unrestricted', '--unrestricted', [CompletionResultType]::ParameterName, 'Only keys with no allowedIps, pathPrefix or resources restriction')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'The keys of every tenant under --root, with a TENANT column (--file and --tenant are ignored)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;show' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;update' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Replace the permissions with these (repeatable)')
            [CompletionResult]::new('--permission', '--permission', [CompletionResultType]::ParameterName, 'Replace the permissions with these (repeatable)')
            [CompletionResult]::new('--add-permission', '--add-permission', [CompletionResultType]::ParameterName, 'Add a permission (repeatable)')
            [CompletionResult]::new('--remove-permission', '--remove-permission', [CompletionResultType]::ParameterName, 'Remove a permission (repeatable)')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'New description ("" removes it)')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'New expiry: a duration from now (30d, 3mo, 1y; units y, mo, w, d, h, min, s, ms), a date (2027-01-01), an RFC 3339 time, or never')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'Also allow use from this address range (repeatable), e.g. 203.0.113.0/24')
            [CompletionResult]::new('--remove-allow-ip', '--remove-allow-ip', [CompletionResultType]::ParameterName, 'Stop allowing this address range (repeatable; not the last one: see --clear-allow-ips)')
            [CompletionResult]::new('--path-prefix', '--path-prefix', [CompletionResultType]::ParameterName, 'Allow use only on paths starting with this (=/x: exactly /x), replacing any prefix')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Also allow use on this resource (repeatable)')
            [CompletionResult]::new('--remove-resource', '--remove-resource', [CompletionResultType]::ParameterName, 'Stop allowing this resource (repeatable; not the last one: see --clear-resources)')
            [CompletionResult]::new('--if-unchanged', '--if-unchanged', [CompletionResultType]::ParameterName, 'Write only if the file''s SHA-256 is still this, else exit 6: `sha256sum`''s line, its 64 hex digits, or sha256:HEX')
            [CompletionResult]::new('--file-owner', '--file-owner', [CompletionResultType]::ParameterName, 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only')
            [CompletionResult]::new('--file-group', '--file-group', [CompletionResultType]::ParameterName, 'Give the file written this group (a group name or id), as --file-owner does')
            [CompletionResult]::new('--file-mode', '--file-mode', [CompletionResultType]::ParameterName, 'Give the file written this mode (octal, like 0600), as --file-owner does')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--enable', '--enable', [CompletionResultType]::ParameterName, 'Enable the key')
            [CompletionResult]::new('--disable', '--disable', [CompletionResultType]::ParameterName, 'Disable the key (it stops working at once)')
            [CompletionResult]::new('--clear-permissions', '--clear-permissions', [CompletionResultType]::ParameterName, 'Remove every permission')
            [CompletionResult]::new('--clear-allow-ips', '--clear-allow-ips', [CompletionResultType]::ParameterName, 'Lift the address restriction: the key may be used from any address')
            [CompletionResult]::new('--clear-path-prefix', '--clear-path-prefix', [CompletionResultType]::ParameterName, 'Lift the path restriction: the key may be used on any path')
            [CompletionResult]::new('--clear-resources', '--clear-resources', [CompletionResultType]::ParameterName, 'Lift the resource restriction: the key may be used on any resource')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;delete' {
            [CompletionResult]::new('--if-unchanged', '--if-unchanged', [CompletionResultType]::ParameterName, 'Write only if the file''s SHA-256 is still this, else exit 6: `sha256sum`''s line, its 64 hex digits, or sha256:HEX')
            [CompletionResult]::new('--file-owner', '--file-owner', [CompletionResultType]::ParameterName, 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only')
            [CompletionResult]::new('--file-group', '--file-group', [CompletionResultType]::ParameterName, 'Give the file written this group (a group name or id), as --file-owner does')
            [CompletionResult]::new('--file-mode', '--file-mode', [CompletionResultType]::ParameterName, 'Give the file written this mode (octal, like 0600), as --file-owner does')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Delete every key in the file')
            [CompletionResult]::new('--ignore-missing', '--ignore-missing', [CompletionResultType]::ParameterName, 'Succeed (exit 0) when the key, or the file, is not there')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask (required when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;rotate' {
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Keep the old secret valid this long, e.g. 24h; units y, mo, w, d, h, min, s, ms')
            [CompletionResult]::new('--copy-for', '--copy-for', [CompletionResultType]::ParameterName, 'Copy, and clear the clipboard after this long instead of 45s (unless something else was copied since), e.g. 2m; units ms, s, m or min, h')
            [CompletionResult]::new('--if-unchanged', '--if-unchanged', [CompletionResultType]::ParameterName, 'Write only if the file''s SHA-256 is still this, else exit 6: `sha256sum`''s line, its 64 hex digits, or sha256:HEX')
            [CompletionResult]::new('--file-owner', '--file-owner', [CompletionResultType]::ParameterName, 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only')
            [CompletionResult]::new('--file-group', '--file-group', [CompletionResultType]::ParameterName, 'Give the file written this group (a group name or id), as --file-owner does')
            [CompletionResult]::new('--file-mode', '--file-mode', [CompletionResultType]::ParameterName, 'Give the file written this mode (octal, like 0600), as --file-owner does')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--copy', '--copy', [CompletionResultType]::ParameterName, 'Also copy the secret to the clipboard; it is cleared after 45s (see --copy-for)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the secret')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the secret')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;rename' {
            [CompletionResult]::new('--if-unchanged', '--if-unchanged', [CompletionResultType]::ParameterName, 'Write only if the file''s SHA-256 is still this, else exit 6: `sha256sum`''s line, its 64 hex digits, or sha256:HEX')
            [CompletionResult]::new('--file-owner', '--file-owner', [CompletionResultType]::ParameterName, 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only')
            [CompletionResult]::new('--file-group', '--file-group', [CompletionResultType]::ParameterName, 'Give the file written this group (a group name or id), as --file-owner does')
            [CompletionResult]::new('--file-mode', '--file-mode', [CompletionResultType]::ParameterName, 'Give the file written this mode (octal, like 0600), as --file-owner does')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;verify' {
            [CompletionResult]::new('--permission', '--permission', [CompletionResultType]::ParameterName, 'Require this permission')
            [CompletionResult]::new('--ip', '--ip', [CompletionResultType]::ParameterName, 'The client''s address')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'The request path')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'The resource requested')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'On success, record the use in security.usage.yml')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;check' {
            [CompletionResult]::new('--warn-expiring', '--warn-expiring', [CompletionResultType]::ParameterName, 'Also warn of keys that expire within this duration (e.g. 14d; units y, mo, w, d, h, min, s, ms), and expired keys; warnings exit 0 unless --strict')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail (exit 7) on warnings too')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'Check the security.yml of every tenant under --root')
            [CompletionResult]::new('--fix', '--fix', [CompletionResultType]::ParameterName, 'First rewrite what lies outside portable security.yml and can be rewritten without changing what any YAML library reads (quotes, uppercase T/Z, no !!str, aliases expanded, `apiKeys: {}`), as a proven write; then check')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;apply' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The desired-state file (`-` for stdin): `apiKeys:` of name -> fields, or name -> fields')
            [CompletionResult]::new('--desired', '--desired', [CompletionResultType]::ParameterName, 'The desired-state file (`-` for stdin): `apiKeys:` of name -> fields, or name -> fields')
            [CompletionResult]::new('--if-unchanged', '--if-unchanged', [CompletionResultType]::ParameterName, 'Write only if the file''s SHA-256 is still this, else exit 6: `sha256sum`''s line, its 64 hex digits, or sha256:HEX')
            [CompletionResult]::new('--file-owner', '--file-owner', [CompletionResultType]::ParameterName, 'Give the file written this owner (a user name or id); set on the new file before it replaces the old one, never by name afterwards. Root only')
            [CompletionResult]::new('--file-group', '--file-group', [CompletionResultType]::ParameterName, 'Give the file written this group (a group name or id), as --file-owner does')
            [CompletionResult]::new('--file-mode', '--file-mode', [CompletionResultType]::ParameterName, 'Give the file written this mode (octal, like 0600), as --file-owner does')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan and change nothing; exit 8 when there is something to do')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'Also delete keys the desired state does not list')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before --prune deletes (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before --prune deletes (required when stdin is not a terminal)')
            [CompletionResult]::new('--new-tenant', '--new-tenant', [CompletionResultType]::ParameterName, 'Allow creating the file of a tenant that does not exist yet (--tenant only; not needed for the first tenant under a --root or TOKENCTL_ROOT that holds none)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;scan' {
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Which findings make the exit code 10')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'Look tokens up in every tenant under --root (--file and --tenant are ignored)')
            [CompletionResult]::new('--hidden', '--hidden', [CompletionResultType]::ParameterName, 'Also scan hidden files and folders, as `rg --hidden`')
            [CompletionResult]::new('--no-ignore', '--no-ignore', [CompletionResultType]::ParameterName, 'Scan files that .gitignore, .ignore or git''s excludes leave out, as `rg --no-ignore`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;schema' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--desired', '--desired', [CompletionResultType]::ParameterName, 'The schema of apply''s desired-state file instead of security.yml''s')
            [CompletionResult]::new('--openapi', '--openapi', [CompletionResultType]::ParameterName, 'The OpenAPI 3.1 document of `tokenctl serve`''s admin API instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;export' {
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The object''s namespace (metadata.namespace); none: kubectl''s current one')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port to listen on (port 0: any free port, printed on stdout)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve `GET /metrics` (Prometheus text format) on this address, apart from the public listener; off by default')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most connections served at once; more wait to be accepted')
            [CompletionResult]::new('--header-timeout', '--header-timeout', [CompletionResultType]::ParameterName, 'Time a client has to send a request''s headers, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Time a kept-alive connection may stay silent between requests, e.g. 60s; units ms, s, m or min, h')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Time a request may take once its headers are in, its body included, and time a client has to read its answers once they back up, e.g. 30s; units ms, s, m or min, h')
            [CompletionResult]::new('--shutdown-timeout', '--shutdown-timeout', [CompletionResultType]::ParameterName, 'Time the requests in flight get to finish after SIGTERM or SIGINT (then they are cut off and serve exits 1), e.g. 30s; units ms, s, m or min, h')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('--trust-proxy', '--trust-proxy', [CompletionResultType]::ParameterName, 'Take the client''s address from the last X-Forwarded-For entry (only behind a reverse proxy that sets it)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Record each key''s use in security.usage.yml, the gate''s and the admin API''s (at most once a minute per key, batched, off the request''s path)')
            [CompletionResult]::new('--no-admin', '--no-admin', [CompletionResultType]::ParameterName, 'Serve only the gate (`/authz/...`) and `/healthz`: no admin API, and security.yml is never written')
            [CompletionResult]::new('--no-authz', '--no-authz', [CompletionResultType]::ParameterName, 'Serve only the admin API (`/api/...`) and `/healthz`: no gate')
            [CompletionResult]::new('--fail-closed', '--fail-closed', [CompletionResultType]::ParameterName, 'The gate answers 500 for a tenant whose file changed into one that does not load, instead of judging on the last version that loaded (docs/GATE.md, "A file that does not load")')
            [CompletionResult]::new('--metrics-keys', '--metrics-keys', [CompletionResultType]::ParameterName, 'Also give each key''s last use as a metric, `tokenctl_key_last_used_timestamp_seconds` (key names are not public: only on the metrics listener)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;completions' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenctl;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write tokenctl.1 and one page per subcommand into this folder instead of printing')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant whose <root>/<tenant>/security.yml to use')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Folder holding one folder per tenant')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another tokenctl''s lock on the file, e.g. 10s; units ms, s, m or min, h')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
