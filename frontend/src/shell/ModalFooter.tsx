import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';

/** A modal's footer: Cancel, then the primary action. */
export function ModalFooter({ action, busy, onAction, onCancel }: { action: string; busy: boolean; onAction: () => void; onCancel: () => void }) {
  return (
    <Box float="right">
      <SpaceBetween direction="horizontal" size="xs">
        <Button variant="link" onClick={onCancel}>
          Cancel
        </Button>
        <Button variant="primary" loading={busy} onClick={onAction}>
          {action}
        </Button>
      </SpaceBetween>
    </Box>
  );
}
