import type { ReactNode } from 'react';
import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';

/** The centred "nothing here yet" block Cloudscape tables show when they have no items. */
export function EmptyState({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <Box textAlign="center" color="inherit" padding={{ vertical: 'm' }}>
      <SpaceBetween size="m">
        <Box variant="h3" color="inherit" tagOverride="h2">
          {title}
        </Box>
        <Box variant="p" color="text-body-secondary">
          {children}
        </Box>
        {actions}
      </SpaceBetween>
    </Box>
  );
}
