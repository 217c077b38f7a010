//! "Did you mean": the closest name to a mistyped one (a mapping's column,
//! a built-in mapping), and the header that most likely holds the account
//! id when a file has no `account_id` column.

/// Similarity below which two names are not offered as each other's fix:
/// `Tenure` for `Tenure in Months` would be a guess, not a typo.
const MIN_SIMILARITY: f64 = 0.6;

/// The candidate closest to `wanted`: the same name in another letter case
/// first, else the most similar by edit distance (Damerau-Levenshtein over
/// the lowercased names, normalised to 0..1) if it is similar enough.
/// Ties go to the earlier candidate.
pub(crate) fn closest<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let wanted_lower = wanted.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == wanted {
            continue;
        }
        let lower = c.to_lowercase();
        let score = if lower == wanted_lower {
            // Above any edit distance: the names differ only in letter case.
            2.0
        } else {
            strsim::normalized_damerau_levenshtein(&wanted_lower, &lower)
        };
        if score >= MIN_SIMILARITY && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `; did you mean "X"?` for a message, or nothing.
pub(crate) fn did_you_mean<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> String {
    closest(wanted, candidates).map_or_else(String::new, |c| format!("; did you mean {c:?}?"))
}

/// Words that name the thing an account is in customers' exports.
const ACCOUNT_WORDS: &[&str] = &[
    "account",
    "acct",
    "customer",
    "cust",
    "client",
    "company",
    "org",
    "organization",
    "organisation",
    "tenant",
    "subscriber",
    "member",
];

/// Words that make a column an identifier.
const ID_WORDS: &[&str] = &["id", "uuid", "guid"];

/// Words that make a column an identifier when they follow an account word
/// (`Customer Number`, `Account No`), not alone.
const NUMBER_WORDS: &[&str] = &["number", "no", "num", "nr", "code", "ref", "key"];

/// Words of a header: split at non-alphanumerics and at camelCase humps
/// (`customerID` -> customer, id; `RowNumber` -> row, number), lowercased.
fn words(header: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = header.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        // A hump: lower -> Upper (customerID), or the last capital of a
        // run before a lowercase letter (IDNumber -> ID, Number).
        let hump = c.is_uppercase()
            && (prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase)));
        if hump && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// How likely a header names the account id (higher is likelier), or
/// `None` when it does not look like an id at all.
///
/// - 5: an account word with an id word (`customerID`, `Customer Id`, `AccountId`)
/// - 4: an account word with a number word (`Customer Number`, `Acct No`), or an id
///   word alone (`id`, `UUID`)
/// - 3: another id (`Subscription ID`): an id, perhaps not the account's
/// - 2: an account word alone (`Customer`, `Account`): maybe a name, maybe an id
///
/// A row's position (`RowNumber`, `row_id`, `index`) is never offered: it
/// changes from one export to the next, so every re-ingest would make new
/// accounts instead of adding history to the old ones.
fn id_likelihood(header: &str) -> Option<u8> {
    let w = words(header);
    let has = |set: &[&str]| w.iter().any(|x| set.contains(&x.as_str()));
    let positional = ["row", "index", "idx", "line"];
    if w.is_empty() || has(&positional) {
        return None;
    }
    let account = has(ACCOUNT_WORDS);
    let id = has(ID_WORDS);
    // A word glued to "id" without a hump (`custid`, `accountid`).
    let glued_id = w.iter().any(|x| {
        ACCOUNT_WORDS
            .iter()
            .any(|a| x.strip_prefix(a) == Some("id"))
    });
    let number = has(NUMBER_WORDS);
    let name_like = has(&["name", "title", "email", "type", "status"]);
    match () {
        _ if (account && id) || glued_id => Some(5),
        _ if account && number && !name_like => Some(4),
        _ if id && w.len() == 1 => Some(4),
        _ if id => Some(3),
        _ if account && w.len() == 1 => Some(2),
        _ => None,
    }
}

/// The header most likely to hold the account id, if any looks like one;
/// ties go to the leftmost column (ids usually come first).
pub(crate) fn likely_account_id<'h>(headers: impl IntoIterator<Item = &'h str>) -> Option<&'h str> {
    let mut best: Option<(u8, &str)> = None;
    for h in headers {
        if let Some(score) = id_likelihood(h)
            && best.is_none_or(|(b, _)| score > b)
        {
            best = Some((score, h));
        }
    }
    best.map(|(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_prefers_letter_case_then_edit_distance() {
        let header = ["customerID", "tenure", "Tenure in Months", "MonthlyCharges"];
        assert_eq!(
            closest("Tenure In Months", header),
            Some("Tenure in Months")
        );
        assert_eq!(closest("MonthlyCharge", header), Some("MonthlyCharges"));
        assert_eq!(closest("CustomerId", header), Some("customerID"));
        assert_eq!(closest("Churn", header), None, "nothing close");
        assert_eq!(closest("telcoo", ["telco"]), Some("telco"));
        assert_eq!(
            did_you_mean("telcoo", ["telco"]),
            "; did you mean \"telco\"?"
        );
        assert_eq!(did_you_mean("xyz", ["telco"]), "");
    }

    #[test]
    fn words_split_at_humps_and_punctuation() {
        assert_eq!(words("customerID"), ["customer", "id"]);
        assert_eq!(words("CustomerId"), ["customer", "id"]);
        assert_eq!(words("Customer Id"), ["customer", "id"]);
        assert_eq!(words("IDNumber"), ["id", "number"]);
        assert_eq!(words("RowNumber"), ["row", "number"]);
        assert_eq!(words("acct_no"), ["acct", "no"]);
        assert_eq!(words("Unnamed: 0"), ["unnamed", "0"]);
    }

    #[test]
    fn the_likely_account_id_of_real_headers() {
        // IBM Telco Customer Churn (examples/data).
        let telco = "customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,\
            MultipleLines,InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,\
            StreamingTV,StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,\
            TotalCharges,Churn";
        assert_eq!(likely_account_id(telco.split(',')), Some("customerID"));
        // The bank churn sample ("Churn_Modelling.csv"): RowNumber comes
        // first but is a position, CustomerId is the key.
        let bank = "RowNumber,CustomerId,Surname,CreditScore,Geography,Gender,Age,Tenure,\
            Balance,NumOfProducts,HasCrCard,IsActiveMember,EstimatedSalary,Exited";
        assert_eq!(likely_account_id(bank.split(',')), Some("CustomerId"));
        // A CRM export: the account's id over its name and the owner's id.
        let crm = ["Account Name", "Owner ID", "Account ID", "Industry"];
        assert_eq!(likely_account_id(crm), Some("Account ID"));
        assert_eq!(
            likely_account_id(["Customer Number", "id"]),
            Some("Customer Number")
        );
        assert_eq!(likely_account_id(["name", "id"]), Some("id"));
        assert_eq!(likely_account_id(["custid", "id"]), Some("custid"));
        assert_eq!(likely_account_id(["Customer", "Plan"]), Some("Customer"));
        // Nothing id-like, or only positions: no guess.
        assert_eq!(likely_account_id(["RowNumber", "Surname", "Age"]), None);
        assert_eq!(likely_account_id(["name", "as_of", "Hidden"]), None);
        assert_eq!(likely_account_id(["Customer Name", "Email"]), None);
    }
}
