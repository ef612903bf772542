"""Shortcuts through work botocore repeats for every request and every client, leaving each request the same.

A scan of many accounts makes one client per account x region (a few calls each), and bench/profile_scan.py
found botocore repeating, for every request or client, work whose result never changes:

- the User-Agent header: rebuilt from ~10 components twice per request (once for the request, once more
  right before it is signed), each component cleaned character by character. Its text depends only on the
  client (platform, versions, its Config) and on the feature ids of the call, so each client keeps the
  text per set of features (the features are taken exactly as botocore takes them, in the same order);
- the event emitter: every client starts from a copy of its session's emitter, and copying it copies the
  whole table of botocore's ~250 built-in handlers (a prefix trie). Here a copy shares the table and copies
  a node only when one of the two changes it (a client registers ~10 handlers of its own), so each side
  still sees exactly the handlers it would have had;
- old event names renamed through botocore's constant alias table: each session kept its own cache of the
  renamed names, so every session (one per account) renamed its ~250 built-in handlers' names again, each a
  loop over the table; the sessions share one cache (the new name depends only on the name).

All three are installed once per process, for sessions and clients made from then on, unless AWSWIZ_LEAN=0
(botocore as it is). tests/test_shortcuts.py proves the requests (method, URL, body, headers, signed
headers) are the same with and without them, end to end against the sandbox.
"""

from __future__ import annotations

import copy

from botocore import hooks
from botocore import useragent as ua

_installed = False
_PLAIN_TRIE = hooks._PrefixTrie  # botocore's own


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _user_agent_once_per_client()
    _copy_on_write_handlers()
    _one_alias_cache()


# --- User-Agent ---

def _user_agent_once_per_client() -> None:
    if getattr(ua.modify_components, "__module__", None) != ua.__name__:
        return  # a botocore build that rewrites the components its own way: leave it alone
    build = ua.UserAgentString.to_string

    def to_string(self):
        ctx = ua.get_context()
        # as UserAgentString._build_feature_metadata takes them: the same set, iterated in the same order
        features = tuple((self._client_features or set()).union(set() if ctx is None else ctx.features))
        memo = self.__dict__.get("_awswiz_ua")
        # the memo is this instance's own: a copy (with_client_config) shares its __dict__'s values until
        # it gets its own Config; the session-level settings are fixed before any client is made
        if memo is None or memo[0] is not self._client_config:
            memo = self.__dict__["_awswiz_ua"] = (self._client_config, {})
        text = memo[1].get(features)
        if text is None:
            text = memo[1][features] = build(self)
        return text

    ua.UserAgentString.to_string = to_string


# --- event names: aliased once per process ---

def _one_alias_cache() -> None:
    """botocore renames old event names through a constant table (hooks.EVENT_ALIASES): the new name depends
    only on the name. Each session's aliaser kept its own cache of the names it renamed (client.py already
    shares it among one session's clients); with one session per account, every session shares one."""
    shared: dict[str, str] = {}
    init = hooks.EventAliaser.__init__

    def __init__(self, event_emitter, event_aliases=None):
        init(self, event_emitter, event_aliases)
        if event_aliases is None:  # botocore's own table
            self._alias_name_cache = shared

    hooks.EventAliaser.__init__ = __init__


# --- event handlers: a copy shares the table until one side changes it ---

def _copy_on_write_handlers() -> None:
    hooks._PrefixTrie = CopyOnWriteTrie  # what HierarchicalEmitter() builds from now on


class CopyOnWriteTrie(_PLAIN_TRIE):
    """botocore's _PrefixTrie whose copy shares every node with the original: append_item and remove_item
    first copy the nodes on their key's path that are not this trie's own. A node is a trie's own when the
    trie made it since its last copy (a copy makes every node shared, on both sides), so no change of one
    trie reaches another. Lookups (prefix_search) read the same structure as with a full copy."""

    def __init__(self):
        super().__init__()
        self._mine = {id(self._root)}

    def __copy__(self):
        new = self.__class__.__new__(self.__class__)
        new._root = self._root
        new._mine = set()
        self._mine = set()
        return new

    def _own(self, node: dict) -> dict:
        values = node["values"]
        new = {"chunk": node["chunk"], "values": None if values is None else copy.copy(values),
               "children": dict(node["children"])}
        self._mine.add(id(new))
        return new

    def _own_root(self) -> dict:
        if id(self._root) not in self._mine:
            self._root = self._own(self._root)
        return self._root

    def append_item(self, key, value, section=hooks._MIDDLE):
        """As botocore's, with the path made this trie's own."""
        node = self._own_root()
        for part in key.split("."):
            child = node["children"].get(part)
            if child is None:
                child = node["children"][part] = {"chunk": part, "values": None, "children": {}}
                self._mine.add(id(child))
            elif id(child) not in self._mine:
                child = node["children"][part] = self._own(child)
            node = child
        if node["values"] is None:
            node["values"] = hooks.NodeList([], [], [])
        node["values"][section].append(value)

    def remove_item(self, key, value):
        """botocore's, once the existing part of the key's path is this trie's own."""
        node = self._own_root()
        for part in key.split("."):
            child = node["children"].get(part)
            if child is None:
                break
            if id(child) not in self._mine:
                child = node["children"][part] = self._own(child)
            node = child
        super().remove_item(key, value)
