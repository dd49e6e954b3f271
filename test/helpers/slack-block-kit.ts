/**
 * The shape Slack's incoming webhooks accept for a Block Kit message, written from Slack's
 * reference ("Blocks", "Composition objects", "Sending messages using incoming webhooks"); a
 * message breaking any of these is refused whole with 400 invalid_blocks. Returns the problems.
 */
export function blockKitProblems(message: any): string[] {
  const problems: string[] = [];
  const text = (value: any, where: string, max: number, types = ['plain_text', 'mrkdwn']) => {
    if (!value || typeof value !== 'object') return problems.push(`${where}: missing text object`);
    if (!types.includes(value.type)) problems.push(`${where}: text type ${value.type} not one of ${types.join(', ')}`);
    if (typeof value.text !== 'string' || value.text.length === 0) problems.push(`${where}: empty text`);
    else if (value.text.length > max) problems.push(`${where}: ${value.text.length} characters, over ${max}`);
    const allowed = value.type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim'];
    for (const key of Object.keys(value)) if (!allowed.includes(key)) problems.push(`${where}: unknown field ${key}`);
  };
  if (typeof message?.text !== 'string' || message.text.length === 0)
    problems.push('text: a top-level fallback text is required with blocks');
  if (!Array.isArray(message?.blocks)) return [...problems, 'blocks: not an array'];
  if (message.blocks.length === 0) problems.push('blocks: empty');
  if (message.blocks.length > 50) problems.push(`blocks: ${message.blocks.length}, over 50`);
  message.blocks.forEach((block: any, i: number) => {
    const where = `blocks[${i}] (${block?.type})`;
    if (block.block_id !== undefined && (typeof block.block_id !== 'string' || block.block_id.length > 255))
      problems.push(`${where}: bad block_id`);
    switch (block?.type) {
      case 'header':
        text(block.text, `${where}.text`, 150, ['plain_text']);
        break;
      case 'section':
        if (!block.text && !block.fields) problems.push(`${where}: needs text or fields`);
        if (block.text) text(block.text, `${where}.text`, 3000);
        if (block.fields) {
          if (block.fields.length > 10) problems.push(`${where}: over 10 fields`);
          block.fields.forEach((f: any, j: number) => text(f, `${where}.fields[${j}]`, 2000));
        }
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10)
          problems.push(`${where}: 1 to 10 elements`);
        else block.elements.forEach((e: any, j: number) => text(e, `${where}.elements[${j}]`, 3000));
        break;
      case 'divider':
        break;
      default:
        problems.push(`${where}: block type not used in messages here`);
    }
  });
  return problems;
}
