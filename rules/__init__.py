"""Matching rules: pure Python, never imports trytond."""
from .engine import (
    ADD_NEW,
    MATCH,
    MATCHED,
    NOT_MATCHED,
    SUGGESTED,
    Candidate,
    CandidateIndex,
    Candidates,
    Component,
    Decision,
    DocumentDecision,
    Mapped,
    RuleSet,
    RuleSetError,
    document_components,
    evaluate_document,
    group_duplicates,
    preview,
    record_context,
)
from .keys import KEYS, TARGETS

__all__ = [
    'ADD_NEW', 'KEYS', 'MATCH', 'MATCHED', 'NOT_MATCHED', 'SUGGESTED',
    'TARGETS', 'Candidate', 'CandidateIndex', 'Candidates', 'Component',
    'Decision', 'DocumentDecision', 'Mapped', 'RuleSet', 'RuleSetError',
    'document_components', 'evaluate_document', 'group_duplicates',
    'preview', 'record_context']
