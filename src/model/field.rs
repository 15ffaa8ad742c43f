//! The fields of a key, by name: one enum, so that a field named wrongly anywhere (a plan, an
//! edit, a refusal naming the field) is a compile error, not a refused write at run time.

/// A field of a key's definition. [`Field::ALL`] are the fields of a key's mapping in
/// security.yml, in the order a new entry is written; [`Field::Name`] is the key's name,
/// which the file holds as the mapping's key and the admin API as a field of its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Name,
    Description,
    Owner,
    Enabled,
    Permissions,
    Hash,
    CreatedAt,
    ExpiresAt,
    AllowedIps,
    PathPrefix,
    Resources,
    PreviousHashes,
}

impl Field {
    /// The fields of a key's mapping, in the order a new entry is written.
    pub const ALL: [Field; 11] = [
        Field::Description,
        Field::Owner,
        Field::Enabled,
        Field::Permissions,
        Field::Hash,
        Field::CreatedAt,
        Field::ExpiresAt,
        Field::AllowedIps,
        Field::PathPrefix,
        Field::Resources,
        Field::PreviousHashes,
    ];

    /// The fields a desired state (`apply`) may list, in the order plans show them: all but
    /// those tokenctl sets itself (`createdAt`, `previousHashes`).
    pub const DESIRED: [Field; 9] = [
        Field::Description,
        Field::Owner,
        Field::Enabled,
        Field::Permissions,
        Field::Hash,
        Field::ExpiresAt,
        Field::AllowedIps,
        Field::PathPrefix,
        Field::Resources,
    ];

    /// The field's name in security.yml (and in the admin API's JSON).
    pub const fn yaml_name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Description => "description",
            Field::Owner => "owner",
            Field::Enabled => "enabled",
            Field::Permissions => "permissions",
            Field::Hash => "hash",
            Field::CreatedAt => "createdAt",
            Field::ExpiresAt => "expiresAt",
            Field::AllowedIps => "allowedIps",
            Field::PathPrefix => "pathPrefix",
            Field::Resources => "resources",
            Field::PreviousHashes => "previousHashes",
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.yaml_name())
    }
}

/// A name that is not one of a key mapping's fields (`name` included: the file holds it as
/// the mapping's key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField;

impl std::str::FromStr for Field {
    type Err = UnknownField;

    /// One of [`Field::ALL`] by its YAML name.
    fn from_str(s: &str) -> Result<Field, UnknownField> {
        Field::ALL
            .into_iter()
            .find(|f| f.yaml_name() == s)
            .ok_or(UnknownField)
    }
}

#[cfg(test)]
mod tests {
    use super::Field;

    #[test]
    fn names_read_back() {
        for f in Field::ALL {
            assert_eq!(f.yaml_name().parse::<Field>(), Ok(f));
        }
        assert!("name".parse::<Field>().is_err());
        assert!("permisions".parse::<Field>().is_err());
        assert!(Field::DESIRED.iter().all(|f| Field::ALL.contains(f)));
    }
}
