<?php
// The PHP binding's API reference as Markdown, on standard output, from its source:
// signatures from PHP's Reflection, the PHPDoc parsed by phpstan/phpdoc-parser (Debian's
// php-phpstan-phpdoc-parser, the parser PHPStan checks these comments with). Only the
// rendering is ours, as no PHP documentation generator is reachable from the registries:
// phpDocumentor is neither in Debian (only its reflection parts are) nor installable without
// Packagist, and Doxygen 1.9.4 (Debian) reads a PHPDoc type with a space in it
// (`array<string, mixed>`, an array shape) as the parameter's name.
//
// Usage: php scripts/api-reference-tools/php.php bindings/php/src
// A PHPDoc tag the parser cannot read fails the run (exit 1) naming it.

declare(strict_types=1);

require '/usr/share/php/PHPStan/PhpDocParser/autoload.php';

use PHPStan\PhpDocParser\Ast\PhpDoc\InvalidTagValueNode;
use PHPStan\PhpDocParser\Ast\PhpDoc\PhpDocNode;
use PHPStan\PhpDocParser\Ast\PhpDoc\PhpDocTagNode;
use PHPStan\PhpDocParser\Ast\PhpDoc\PhpDocTextNode;
use PHPStan\PhpDocParser\Ast\ConstExpr\ConstExprStringNode;
use PHPStan\PhpDocParser\Ast\Node;
use PHPStan\PhpDocParser\Ast\Type\ArrayShapeNode;
use PHPStan\PhpDocParser\Ast\Type\TypeNode;
use PHPStan\PhpDocParser\Lexer\Lexer;
use PHPStan\PhpDocParser\Parser\ConstExprParser;
use PHPStan\PhpDocParser\Parser\PhpDocParser;
use PHPStan\PhpDocParser\Parser\TokenIterator;
use PHPStan\PhpDocParser\Parser\TypeParser;

const NAMESPACE_PREFIX = 'StorefrontCheckout\\';

/** The PHPDoc of $reflector, parsed; an empty one when it has none. */
function phpdoc(\Reflector $reflector): PhpDocNode
{
    static $parser = null;
    $parser ??= new PhpDocParser(new TypeParser(new ConstExprParser()), new ConstExprParser());
    $comment = $reflector->getDocComment();
    if ($comment === false) {
        return new PhpDocNode([]);
    }
    $node = $parser->parse(new TokenIterator((new Lexer())->tokenize($comment)));
    foreach ($node->getTags() as $tag) {
        if ($tag->value instanceof InvalidTagValueNode) {
            fwrite(STDERR, sprintf("%s: unreadable PHPDoc tag %s %s (%s)\n", where($reflector), $tag->name,
                $tag->value->value, $tag->value->exception->getMessage()));
            exit(1);
        }
    }
    quoteLiterals($node);
    return $node;
}

/**
 * Puts back the quotes of the string literals in a parsed type, which this version of the
 * parser drops (`'pending'|'failed'` would print as `(pending | failed)`, names of classes).
 */
function quoteLiterals(mixed $node): void
{
    if ($node instanceof ConstExprStringNode) {
        $node->value = var_export($node->value, true);
    } elseif ($node instanceof Node || is_array($node)) {
        foreach ($node instanceof Node ? get_object_vars($node) : $node as $child) {
            quoteLiterals($child);
        }
    }
}

function where(\Reflector $reflector): string
{
    return match (true) {
        $reflector instanceof \ReflectionClass => $reflector->getName(),
        $reflector instanceof \ReflectionMethod => $reflector->class . '::' . $reflector->getName() . '()',
        $reflector instanceof \ReflectionProperty => $reflector->class . '::$' . $reflector->getName(),
        $reflector instanceof \ReflectionClassConstant => $reflector->class . '::' . $reflector->getName(),
    };
}

/** The comment's text, its paragraphs kept; tags are rendered apart. */
function text(PhpDocNode $doc): string
{
    $lines = [];
    foreach ($doc->children as $child) {
        if ($child instanceof PhpDocTextNode) {
            $lines[] = $child->text;
        }
    }
    return trim(preg_replace("/\n{3,}/", "\n\n", implode("\n", $lines)));
}

/** One line per paragraph of a tag's description (PHPDoc wraps them). */
function oneLine(string $text): string
{
    return trim(preg_replace('/\s+/', ' ', $text));
}

/**
 * A PHPDoc type as Markdown: inline code, or for an array shape (a result's or request's
 * fields) a block with one field a line, indented by $indent for a list item.
 */
function phpdocType(TypeNode $type, string $indent = ''): string
{
    if (!$type instanceof ArrayShapeNode) {
        return "`$type`";
    }
    $fields = array_map(static fn ($item): string => "$indent    $item,", $type->items);
    return "\n\n$indent```php\n{$indent}array{\n" . implode("\n", $fields) . "\n$indent}\n$indent```";
}

/**
 * The tags of $doc that are not among $rendered (those shown in their own way), one line each
 * as written, so that no tag of the source is left out of the reference.
 *
 * @param list<string> $rendered
 */
function otherTags(PhpDocNode $doc, array $rendered): string
{
    $lines = [];
    foreach ($doc->getTags() as $tag) {
        if (!in_array($tag->name, $rendered, true)) {
            $lines[] = '- `' . trim("$tag->name $tag->value") . '`';
        }
    }
    return $lines === [] ? '' : implode("\n", $lines) . "\n\n";
}

function type(?\ReflectionType $type): string
{
    return $type === null ? '' : (string) $type;
}

function signature(\ReflectionMethod $method): string
{
    $parameters = [];
    foreach ($method->getParameters() as $parameter) {
        $text = trim(type($parameter->getType()) . ' ' . ($parameter->isVariadic() ? '...' : '') . '$' . $parameter->getName());
        if ($parameter->isDefaultValueAvailable()) {
            $text .= ' = ' . strtolower(var_export($parameter->getDefaultValue(), true));
        }
        $parameters[] = $text;
    }
    $modifiers = implode(' ', \Reflection::getModifierNames($method->getModifiers()));
    $return = $method->hasReturnType() ? ': ' . type($method->getReturnType()) : '';
    return "$modifiers function {$method->getName()}(" . implode(', ', $parameters) . ")$return";
}

function renderMethod(\ReflectionMethod $method): string
{
    $doc = phpdoc($method);
    $out = "#### `{$method->getName()}()`\n\n```php\n" . signature($method) . "\n```\n\n";
    $description = text($doc);
    if ($description !== '') {
        $out .= "$description\n\n";
    }
    $params = [];
    foreach ($doc->getParamTagValues() as $param) {
        $params[$param->parameterName] = $param;
    }
    $rows = [];
    foreach ($method->getParameters() as $parameter) {
        $name = '$' . $parameter->getName();
        $tag = $params[$name] ?? null;
        unset($params[$name]);
        $note = $tag !== null ? oneLine($tag->description) : '';
        $phpType = $tag !== null ? phpdocType($tag->type, '  ') : '`' . type($parameter->getType()) . '`';
        $rows[] = "- `$name`" . ($note !== '' ? " — $note" : '') . ": $phpType";
    }
    if ($params !== []) {
        fwrite(STDERR, where($method) . ': @param for no such parameter: ' . implode(', ', array_keys($params)) . "\n");
        exit(1);
    }
    if ($rows !== []) {
        $out .= "Parameters:\n\n" . implode("\n", $rows) . "\n\n";
    }
    foreach ($doc->getReturnTagValues() as $return) {
        $note = oneLine($return->description);
        $out .= 'Returns' . ($note !== '' ? " — $note" : '') . ': ' . phpdocType($return->type) . "\n\n";
    }
    foreach ($doc->getThrowsTagValues() as $throws) {
        $note = oneLine($throws->description);
        $out .= 'Throws ' . phpdocType($throws->type) . ($note !== '' ? " — $note" : '') . "\n\n";
    }
    return $out . otherTags($doc, ['@param', '@return', '@throws']);
}

function renderClass(\ReflectionClass $class): string
{
    $modifiers = $class->isFinal() ? 'final class' : ($class->isAbstract() ? 'abstract class' : 'class');
    $out = "### $modifiers `{$class->getName()}`\n\n";
    $parent = $class->getParentClass();
    if ($parent !== false) {
        $out .= 'Extends `' . ($parent->isInternal() ? '\\' : '') . $parent->getName() . "`.\n\n";
    }
    $doc = phpdoc($class);
    $description = text($doc);
    if ($description !== '') {
        $out .= "$description\n\n";
    }
    // Named types (an array shape the methods' tags refer to by name), then any other tag.
    foreach (['@phpstan-type', '@psalm-type'] as $tagName) {
        foreach ($doc->getTypeAliasTagValues($tagName) as $alias) {
            $out .= "Type `$alias->alias`: " . phpdocType($alias->type) . "\n\n";
        }
    }
    $out .= otherTags($doc, ['@phpstan-type', '@psalm-type']);
    $own = static fn (\Reflector $member): bool => $member->getDeclaringClass()->getName() === $class->getName();
    $constants = array_filter($class->getReflectionConstants(\ReflectionClassConstant::IS_PUBLIC), $own);
    if ($constants !== []) {
        $out .= "Constants:\n\n";
        foreach ($constants as $constant) {
            $note = oneLine(text(phpdoc($constant)));
            $out .= "- `{$constant->getName()} = " . var_export($constant->getValue(), true) . '`' . ($note !== '' ? " — $note" : '') . "\n";
        }
        $out .= "\n";
    }
    $properties = array_filter($class->getProperties(\ReflectionProperty::IS_PUBLIC), $own);
    if ($properties !== []) {
        $out .= "Properties:\n\n";
        foreach ($properties as $property) {
            $doc = phpdoc($property);
            $vars = $doc->getVarTagValues();
            $phpType = $vars !== [] ? (string) $vars[0]->type : type($property->getType());
            $note = oneLine(trim(text($doc) . ' ' . ($vars !== [] ? $vars[0]->description : '')));
            $readonly = $property->isReadOnly() ? 'readonly ' : '';
            $out .= "- `{$readonly}{$phpType} \${$property->getName()}`" . ($note !== '' ? " — $note" : '') . "\n";
        }
        $out .= "\n";
    }
    foreach ($class->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
        if ($own($method) && $method->getName() !== '__destruct') {
            $out .= renderMethod($method);
        }
    }
    return $out;
}

$source = $argv[1] ?? null;
if ($source === null || !is_dir($source)) {
    fwrite(STDERR, "usage: php php.php <bindings/php/src>\n");
    exit(2);
}
$before = get_declared_classes();
$files = glob("$source/*.php");
sort($files, SORT_STRING);
foreach ($files as $file) {
    require_once $file;
}
// Declaration order: the client first, then the library loader and the exceptions as written.
$classes = array_values(array_filter(array_diff(get_declared_classes(), $before),
    static fn (string $name): bool => str_starts_with($name, NAMESPACE_PREFIX)));

$page = '';
$page .= "# PHP API reference: `storefront/checkout`\n\n";
$page .= "Generated by `scripts/api-reference` from the PHPDoc of `bindings/php/src` (signatures by PHP's\n";
$page .= "Reflection, PHPDoc read by phpstan/phpdoc-parser); do not edit. A failed call of the\n";
$page .= "`Client` throws a `CheckoutException` subclass (below), one per status code of docs/contract.md §4.\n\n";
foreach ($classes as $name) {
    $short = substr($name, strlen(NAMESPACE_PREFIX));
    // The anchor GitHub gives the class's heading: lower case, punctuation dropped, spaces as hyphens.
    $heading = ((new \ReflectionClass($name))->isFinal() ? 'final class ' : 'class ') . $name;
    $page .= "- [`$short`](#" . str_replace(' ', '-', strtolower(preg_replace('/[^A-Za-z0-9 -]/', '', $heading))) . ")\n";
}
$page .= "\n## Classes\n\n";
foreach ($classes as $name) {
    $page .= renderClass(new \ReflectionClass($name));
}
// No trailing blanks (a type block follows "Returns:").
echo rtrim(preg_replace('/[ \t]+$/m', '', $page)) . "\n";
