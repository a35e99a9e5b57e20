import { useLocation, useNavigate } from 'react-router';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import { EmptyState } from './EmptyState';

export function NotFoundPage() {
  const location = useLocation();
  const navigate = useNavigate();
  return (
    <ContentLayout header={<Header variant="h1">Page not found</Header>}>
      <Container>
        <EmptyState
          title={`Nothing at ${location.pathname}`}
          actions={
            <Button
              onClick={() => {
                void navigate('/tasks');
              }}
            >
              Go to Tasks
            </Button>
          }
        >
          This address does not match any page of Transfer Hub.
        </EmptyState>
      </Container>
    </ContentLayout>
  );
}
