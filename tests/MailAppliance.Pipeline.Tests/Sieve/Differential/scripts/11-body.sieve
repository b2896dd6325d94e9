require ["body", "fileinto"];
if body :text :contains "invoice" { fileinto "Invoices"; }
if body :raw :contains "=FC" { fileinto "RawQP"; }
if body :content "text/html" :contains "München" { fileinto "Html"; }
