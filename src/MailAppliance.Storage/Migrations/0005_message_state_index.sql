-- SELECT reads every message's (uid, flags, modseq). The rows themselves are wide (cached envelope and
-- bodystructure inline, about 1 KB each), so reading them from the heap costs a 1,000,000-message mailbox about a
-- gigabyte of pages; from this covering index it is an index-only scan of a few tens of megabytes.
CREATE INDEX messages_state ON messages (mailbox_id, uid) INCLUDE (flags, modseq);

-- Keywords are rare: SELECT reads them only from the rows that have some. (They stay out of the covering index,
-- where a long keyword list could exceed a B-tree entry's size limit.)
CREATE INDEX messages_keywords ON messages (mailbox_id, uid) WHERE keywords <> '{}';
