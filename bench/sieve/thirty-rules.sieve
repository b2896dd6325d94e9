# The 30-rule script of bench/MailAppliance.Bench.Sieve (29 filters, a body rule, a dated vacation), as a file.
require ["fileinto", "imap4flags", "variables", "envelope", "subaddress", "relational", "comparator-i;ascii-numeric",
         "spamtest", "regex", "date", "vacation", "copy", "body"];
if spamtest :value "ge" :comparator "i;ascii-numeric" "8" { fileinto "Junk"; stop; }
if header :contains "x-spam-flag" "yes" { fileinto "Junk"; stop; }
if header :contains "list-id" "dev.lists.example.org" { fileinto "Lists/Dev"; stop; }
if header :contains "list-id" "announce" { fileinto "Lists/Announce"; stop; }
if header :matches "list-id" "*<*.lists.example.org>" { fileinto "Lists/${2}"; stop; }
if address :domain :is "from" "github.com" { fileinto "Dev/GitHub"; }
if address :domain :is "from" ["jira.example.com", "confluence.example.com"] { fileinto "Dev/Atlassian"; }
if address :is "from" "ceo@example.com" { addflag "\\Flagged"; }
if address :localpart :is "from" ["noreply", "no-reply", "donotreply"] { addflag "$Automated"; }
if envelope :detail "to" "shopping" { fileinto "Shopping"; stop; }
if envelope :detail "to" "travel" { fileinto "Travel"; stop; }
if header :contains "subject" ["invoice", "rechnung", "factura"] { fileinto "Finance/Invoices"; }
if header :contains "subject" ["receipt", "order confirmation"] { fileinto "Finance/Receipts"; }
if header :regex "subject" "^\\[(ticket|case) #[0-9]+\\]" { fileinto "Support"; stop; }
if header :matches "subject" "Re: *" { set "thread" "${1}"; }
if header :contains "to" "sales@example.com" { fileinto "Sales"; }
if header :contains "to" "support@example.com" { fileinto "Support"; }
if header :contains "cc" "hr@example.com" { fileinto "HR"; }
if exists "x-mailer" { if header :contains "x-mailer" "Microsoft Outlook" { addflag "$Outlook"; } }
if size :over 5M { fileinto "Large"; }
if address :domain :is "from" "bank.example" { fileinto "Finance/Bank"; addflag "\\Flagged"; }
if header :contains "from" ["newsletter", "news@"] { fileinto "Newsletters"; stop; }
if anyof (header :contains "subject" "webinar", header :contains "subject" "unsubscribe") { fileinto "Marketing"; }
if allof (address :domain :is "from" "example.org", header :contains "subject" "meeting") { fileinto "Meetings"; }
if header :value "ge" :comparator "i;ascii-numeric" "x-priority" "4" { addflag "$LowPriority"; }
if date :value "lt" "date" "year" "2000" { fileinto "Ancient"; }
if header :contains "precedence" "bulk" { fileinto "Bulk"; }
if body :text :contains "zanzibar" { addflag "$Zanzibar"; }
if not exists "message-id" { fileinto "NoId"; }
if currentdate :value "lt" "date" "2000-01-01" { vacation :days 7 :subject "Away" "I am away."; }
