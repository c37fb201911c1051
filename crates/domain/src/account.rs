//! Account rules (等保 2.0 identification and authentication).

use crate::error::{DomainError, Rule};

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 128;

/// At least 10 characters from at least three of: upper case, lower case,
/// digits, symbols; not containing the username.
pub fn check_password(username: &str, password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&n) {
        return Err(DomainError::invalid(Rule::Input, "weak_password", format!("密码长度须为{MIN_PASSWORD_LEN}至{MAX_PASSWORD_LEN}位")));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|x| **x).count() < 3 {
        return Err(DomainError::invalid(Rule::Input, "weak_password", "密码须包含大写字母、小写字母、数字、符号中的至少三类"));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(DomainError::invalid(Rule::Input, "weak_password", "密码不能包含用户名"));
    }
    Ok(())
}

/// Usernames: 3–32 characters of letters, digits, `_`, `-`, `.`.
pub fn check_username(username: &str) -> Result<(), DomainError> {
    let ok = (3..=32).contains(&username.len()) && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(Rule::Input, "invalid_username", "用户名须为3至32位字母、数字、下划线、连字符或点"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy() {
        assert!(check_password("ft_clerk", "Xinfang@2026").is_ok());
        assert!(check_password("ft_clerk", "short1A!").is_err());
        assert!(check_password("ft_clerk", "alllowercaseletters").is_err());
        assert!(check_password("ft_clerk", "abcdefgh12").is_err(), "two classes only");
        assert!(check_password("ft_clerk", "Abcdefgh12").is_ok());
        assert!(check_password("ft_clerk", "My-FT_CLERK-9").is_err(), "contains the username");
        assert!(check_username("ft_clerk").is_ok());
        assert!(check_username("a b").is_err());
    }
}
