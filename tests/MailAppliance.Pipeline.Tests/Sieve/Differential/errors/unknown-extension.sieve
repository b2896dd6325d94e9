require ["nosuchext"];
keep;
