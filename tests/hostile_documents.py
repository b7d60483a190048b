"""Documents an attacker would send: small, within the token limit, and built to make the checks that
run before execution do as much work as possible. Shared by tests/test_hostile_input.py and
``make bench BENCH_ARGS=hostile``."""

from __future__ import annotations

from hypothesis import strategies as st


def fragment_bomb(levels: int, fan_out: int = 2) -> str:
    """``F1`` spreads ``F0`` twice, ``F2`` spreads ``F1`` twice, ...: 2^levels fields once expanded."""
    fragments = ["fragment F0 on Query { __typename }"]
    for level in range(1, levels + 1):
        spreads = " ".join(f"...F{level - 1}" for _ in range(fan_out))
        fragments.append(f"fragment F{level} on Query {{ {spreads} }}")
    return f"query {{ ...F{levels} }}\n" + "\n".join(fragments)


def same_named_fields(copies: int) -> str:
    """One response name with different arguments: validation compares every pair."""
    return "{ " + " ".join(f'event(slug: "s{n}") {{ id }}' for n in range(copies)) + " }"


def nested_duplicates(levels: int, copies: int) -> str:
    """``copies`` copies of a field inside ``copies`` copies of its parent, ``levels`` deep."""
    inner = "id"
    for _ in range(levels):
        inner = " ".join(f"partners {{ agreements {{ {inner} }} }}" for _ in range(copies))
    return f"{{ events {{ edges {{ node {{ {inner} }} }} }} }}"


def deep_inline_fragments(depth: int) -> str:
    return "{ " + "... on Query { " * depth + "__typename" + " }" * depth + " }"


def long_argument_list(count: int) -> str:
    arguments = ", ".join(f'slug: "s{n}"' for n in range(count))
    return f"{{ event({arguments}) {{ id }} }}"


def many_directives(count: int) -> str:
    directives = " ".join("@include(if: true)" for _ in range(count))
    return f"{{ __typename {directives} }}"


def deep_list_argument(depth: int) -> str:
    return "{ search(query: " + "[" * depth + '"x"' + "]" * depth + ") { __typename } }"


def many_aliases(count: int) -> str:
    return "{ " + " ".join(f"a{n}: __typename" for n in range(count)) + " }"


def fragment_chain(length: int) -> str:
    """A chain of fragments, each spreading the next: deep recursion for a naive walker."""
    fragments = [f"fragment C{n} on Query {{ ...C{n + 1} }}" for n in range(length)]
    fragments.append(f"fragment C{length} on Query {{ __typename }}")
    return "query { ...C0 }\n" + "\n".join(fragments)


def many_variables(count: int) -> str:
    definitions = ", ".join(f"$v{n}: Int = {n}" for n in range(count))
    return f"query Q({definitions}) {{ __typename }}"


def hostile_documents() -> st.SearchStrategy[str]:
    """Adversarial documents of every shape above, of random sizes up to the token limit."""
    return st.one_of(
        st.builds(fragment_bomb, st.integers(1, 60), st.integers(1, 4)),
        st.builds(same_named_fields, st.integers(1, 400)),
        st.tuples(st.integers(1, 7), st.integers(1, 12))
        .filter(lambda shape: shape[1] ** shape[0] <= 400)  # within the token limit
        .map(lambda shape: nested_duplicates(*shape)),
        st.builds(deep_inline_fragments, st.integers(1, 450)),
        st.builds(long_argument_list, st.integers(1, 650)),
        st.builds(many_directives, st.integers(1, 400)),
        st.builds(deep_list_argument, st.integers(1, 900)),
        st.builds(many_aliases, st.integers(1, 900)),
        st.builds(fragment_chain, st.integers(1, 280)),
        st.builds(many_variables, st.integers(1, 300)),
    )
