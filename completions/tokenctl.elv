
use builtin;
use str;

set edit:completion:arg-completer[tokenctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'tokenctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'tokenctl'= {
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a key and print its secret once'
            cand list 'List keys, most recently used first (never a hash or a secret)'
            cand show 'Show one key''s definition and usage'
            cand update 'Change a key''s permissions, state, description or expiry'
            cand delete 'Delete a key (or every key with --all); it stops working at once'
            cand rotate 'Give a key a new secret, keeping its definition'
            cand verify 'Verify a token read from stdin and say why it fails'
            cand check 'Validate a security.yml without changing it (exit 7 on problems)'
            cand apply 'Make the file''s keys match a desired-state file (declarative; for config management)'
            cand schema 'Print the JSON Schema of security.yml (or of apply''s desired-state file)'
            cand completions 'Print shell completions'
            cand man 'Print the man page (roff)'
            cand __clipboard-serve 'Serve the clipboard (internal)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tokenctl;create'= {
            cand -p 'Grant a permission scope (repeatable): dns:read, dns:*, *'
            cand --permission 'Grant a permission scope (repeatable): dns:read, dns:*, *'
            cand --description 'Free text saying what the key is for'
            cand --expires 'Expiry: 7d, 30d, 90d, 1y, a date (2027-01-01), an RFC 3339 time, or never'
            cand --allow-ip 'Allow use only from this address range (repeatable), e.g. 203.0.113.0/24'
            cand --path-prefix 'Allow use only on paths starting with this (=/x: exactly /x)'
            cand --resource 'Allow use only on this resource (repeatable)'
            cand --if-unchanged 'Write only if the file''s SHA-256 is still this (as `sha256sum` printed it); else exit 6'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand --disabled 'Create the key disabled'
            cand --secret-stdin 'Read the secret from stdin instead of generating one (at least 32 characters)'
            cand --copy 'Also copy the secret to the clipboard'
            cand -q 'Print only the secret'
            cand --quiet 'Print only the secret'
            cand -y 'Never prompt: without NAME, fail instead of opening the form'
            cand --yes 'Never prompt: without NAME, fail instead of opening the form'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;list'= {
            cand --expiring-within 'Only keys that expire within this duration (and have not yet), e.g. 7d'
            cand --unused-since 'Only keys not used within this duration (or never used), e.g. 30d'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand --expired 'Only keys whose expiry has passed'
            cand --enabled 'Only enabled keys'
            cand --disabled 'Only disabled keys'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;show'= {
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;update'= {
            cand -p 'Replace the permissions with these (repeatable)'
            cand --permission 'Replace the permissions with these (repeatable)'
            cand --add-permission 'Add a permission (repeatable)'
            cand --remove-permission 'Remove a permission (repeatable)'
            cand --description 'New description ("" removes it)'
            cand --expires 'New expiry: 30d, a date, an RFC 3339 time, or never'
            cand --if-unchanged 'Write only if the file''s SHA-256 is still this (as `sha256sum` printed it); else exit 6'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand --enable 'Enable the key'
            cand --disable 'Disable the key (it stops working at once)'
            cand --clear-permissions 'Remove every permission'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;delete'= {
            cand --if-unchanged 'Write only if the file''s SHA-256 is still this (as `sha256sum` printed it); else exit 6'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand --all 'Delete every key in the file'
            cand -y 'Do not ask (required when stdin is not a terminal)'
            cand --yes 'Do not ask (required when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;rotate'= {
            cand --grace 'Keep the old secret valid this long, e.g. 24h'
            cand --if-unchanged 'Write only if the file''s SHA-256 is still this (as `sha256sum` printed it); else exit 6'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand --copy 'Also copy the secret to the clipboard'
            cand -q 'Print only the secret'
            cand --quiet 'Print only the secret'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;verify'= {
            cand --permission 'Require this permission'
            cand --ip 'The client''s address'
            cand --path 'The request path'
            cand --resource 'The resource requested'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand --record 'On success, record the use in security.usage.yml'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;check'= {
            cand --warn-expiring 'Also report keys that expire within this duration, and expired keys'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;apply'= {
            cand -f 'The desired-state file (`-` for stdin): `apiKeys:` of name -> fields, or name -> fields'
            cand --desired 'The desired-state file (`-` for stdin): `apiKeys:` of name -> fields, or name -> fields'
            cand --if-unchanged 'Write only if the file''s SHA-256 is still this (as `sha256sum` printed it); else exit 6'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand --dry-run 'Print the plan and change nothing; exit 8 when there is something to do'
            cand --prune 'Also delete keys the desired state does not list'
            cand -y 'Do not ask before --prune deletes (required when stdin is not a terminal)'
            cand --yes 'Do not ask before --prune deletes (required when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;schema'= {
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand --desired 'The schema of apply''s desired-state file instead of security.yml''s'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;completions'= {
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;man'= {
            cand --dir 'Write tokenctl.1 and one page per subcommand into this folder instead of printing'
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;__clipboard-serve'= {
            cand --file 'The security.yml to use (overrides --tenant)'
            cand -t 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --tenant 'Tenant whose <root>/<tenant>/security.yml to use'
            cand --root 'Folder holding one folder per tenant'
            cand --format 'Output format for data on stdout'
            cand --color 'When to use colour (NO_COLOR is honoured under auto)'
            cand --lock-timeout 'How long to wait for another tokenctl''s lock on the file, e.g. 10s'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tokenctl;help'= {
            cand create 'Create a key and print its secret once'
            cand list 'List keys, most recently used first (never a hash or a secret)'
            cand show 'Show one key''s definition and usage'
            cand update 'Change a key''s permissions, state, description or expiry'
            cand delete 'Delete a key (or every key with --all); it stops working at once'
            cand rotate 'Give a key a new secret, keeping its definition'
            cand verify 'Verify a token read from stdin and say why it fails'
            cand check 'Validate a security.yml without changing it (exit 7 on problems)'
            cand apply 'Make the file''s keys match a desired-state file (declarative; for config management)'
            cand schema 'Print the JSON Schema of security.yml (or of apply''s desired-state file)'
            cand completions 'Print shell completions'
            cand man 'Print the man page (roff)'
            cand __clipboard-serve 'Serve the clipboard (internal)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tokenctl;help;create'= {
        }
        &'tokenctl;help;list'= {
        }
        &'tokenctl;help;show'= {
        }
        &'tokenctl;help;update'= {
        }
        &'tokenctl;help;delete'= {
        }
        &'tokenctl;help;rotate'= {
        }
        &'tokenctl;help;verify'= {
        }
        &'tokenctl;help;check'= {
        }
        &'tokenctl;help;apply'= {
        }
        &'tokenctl;help;schema'= {
        }
        &'tokenctl;help;completions'= {
        }
        &'tokenctl;help;man'= {
        }
        &'tokenctl;help;__clipboard-serve'= {
        }
        &'tokenctl;help;help'= {
        }
    ]
    $completions[$command]
}
