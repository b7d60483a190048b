"""Depth, alias and directive limits as validation rules: they run before execution, on HTTP and
WebSocket alike, and are cached with the rest of validation."""

from __future__ import annotations

from typing import Any

from graphql import ASTValidationRule, FieldNode, GraphQLError, OperationDefinitionNode

from accord.limits.walk import expand, fields, fragment_map


def _refuse(rule: ASTValidationRule, node: Any, message: str, code: str, limit: int) -> None:
    rule.report_error(GraphQLError(message, node, extensions={"code": code, "limit": limit}))


def depth_limit(maximum: int) -> type[ASTValidationRule]:
    class DepthLimit(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            visits = expand(node.selection_set, fragment_map(self.context.document.definitions))
            depth = max((v.depth for v in fields(visits, skip_introspection=True)), default=0)
            if depth > maximum:
                message = f"the query is {depth} levels deep; at most {maximum} are allowed"
                _refuse(self, node, message, "DEPTH_LIMIT_EXCEEDED", maximum)

    return DepthLimit


def alias_limit(maximum: int) -> type[ASTValidationRule]:
    class AliasLimit(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            visits = expand(node.selection_set, fragment_map(self.context.document.definitions))
            aliases = sum(1 for v in visits if isinstance(v.node, FieldNode) and v.node.alias is not None)
            if aliases > maximum:
                message = f"the query uses {aliases} aliases; at most {maximum} are allowed"
                _refuse(self, node, message, "ALIAS_LIMIT_EXCEEDED", maximum)

    return AliasLimit


def directive_limit(maximum: int) -> type[ASTValidationRule]:
    class DirectiveLimit(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            visits = expand(node.selection_set, fragment_map(self.context.document.definitions))
            total = len(node.directives or ()) + sum(len(v.node.directives or ()) for v in visits)
            if total > maximum:
                message = f"the query uses {total} directives; at most {maximum} are allowed"
                _refuse(self, node, message, "DIRECTIVE_LIMIT_EXCEEDED", maximum)

    return DirectiveLimit
